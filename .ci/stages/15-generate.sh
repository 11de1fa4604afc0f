# Regenerates the avo assembly of linalg/asm (go generate runs the
# generator module in linalg/asm/_gen) and fails if the committed files
# differ from what it writes.
source "$(dirname "$0")/../lib.sh"
go generate ./linalg/asm/
changed=$(git status --porcelain -- linalg/asm)
if [ -n "$changed" ]; then
  echo "go generate ./linalg/asm/ changed the committed files:"; echo "$changed"
  git --no-pager diff --stat -- linalg/asm
  exit 1
fi
echo "generated assembly is up to date"
