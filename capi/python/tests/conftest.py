import os
import sys

# Import the package from the source tree: capi/python/mlpgo.
PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_ROOT = os.path.dirname(os.path.dirname(PYTHON_DIR))
sys.path.insert(0, PYTHON_DIR)
