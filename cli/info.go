package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"text/tabwriter"

	"github.com/klauspost/cpuid/v2"
	urfave "github.com/urfave/cli/v2"

	"github.com/mlpgo/mlpgo/linalg"
)

// version returns mlpgo's version as the Go toolchain recorded it: the
// module version for `go install ...@vX`, else "(devel)" and, when the
// build has it, the VCS revision.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}

// systemInfo is what `mlpgo info` reports.
type systemInfo struct {
	Version       string   `json:"version"`
	GoVersion     string   `json:"go_version"`
	OS            string   `json:"os"`
	Arch          string   `json:"arch"`
	CPU           string   `json:"cpu"`
	Vendor        string   `json:"vendor"`
	Family        int      `json:"family"`
	Model         int      `json:"model"`
	PhysicalCores int      `json:"physical_cores"`
	LogicalCores  int      `json:"logical_cores"`
	Features      []string `json:"features"`
	ISA           string   `json:"isa"`
	ISAAvailable  []string `json:"isa_available"`
	Threads       int      `json:"threads"`
}

// simdFeatures names the CPU features that matter to mlpgo's kernels.
var simdFeatures = map[string]bool{
	"SSE": true, "SSE2": true, "SSE3": true, "SSSE3": true, "SSE4": true, "SSE42": true,
	"AVX": true, "AVX2": true, "FMA3": true, "F16C": true,
	"AVX512F": true, "AVX512DQ": true, "AVX512BW": true, "AVX512VL": true, "AVX512VNNI": true, "AVX512BF16": true, "AVX512FP16": true,
	"AVXVNNI": true, "AMXTILE": true, "AMXBF16": true,
	"ASIMD": true, "ASIMDHP": true, "ASIMDDP": true, "FP": true, "FPHP": true, "SVE": true, "SVE2": true, "BF16": true, "I8MM": true,
}

// collectSystemInfo gathers systemInfo from the runtime, cpuid and linalg.
func collectSystemInfo() systemInfo {
	cpu := cpuid.CPU
	var feats []string
	for _, f := range cpu.FeatureSet() {
		if simdFeatures[f] {
			feats = append(feats, f)
		}
	}
	brand := strings.TrimSpace(cpu.BrandName)
	if brand == "" {
		brand = "unknown"
	}
	return systemInfo{
		Version:       version(),
		GoVersion:     runtime.Version(),
		OS:            runtime.GOOS,
		Arch:          runtime.GOARCH,
		CPU:           brand,
		Vendor:        cpu.VendorString,
		Family:        cpu.Family,
		Model:         cpu.Model,
		PhysicalCores: cpu.PhysicalCores,
		LogicalCores:  runtime.NumCPU(),
		Features:      feats,
		ISA:           linalg.ISA(),
		ISAAvailable:  linalg.Available(),
		Threads:       linalg.Threads(),
	}
}

func infoCommand() *urfave.Command {
	return &urfave.Command{
		Name:      "info",
		Usage:     "show the version, the CPU, its features and the kernels mlpgo uses",
		UsageText: "mlpgo info [--json] [--isa NAME] [--threads N]",
		Flags:     append(runtimeFlags(), jsonFlag()),
		Before:    setupCommand,
		Action: func(cCtx *urfave.Context) error {
			info := collectSystemInfo()
			w := cCtx.App.Writer
			if cCtx.Bool("json") {
				return writeJSON(w, info)
			}
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintf(tw, "mlpgo\t%s\n", info.Version)
			fmt.Fprintf(tw, "go\t%s %s/%s\n", info.GoVersion, info.OS, info.Arch)
			fmt.Fprintf(tw, "cpu\t%s (%s family %d model %d)\n", info.CPU, info.Vendor, info.Family, info.Model)
			fmt.Fprintf(tw, "cores\t%d logical, %d physical\n", info.LogicalCores, info.PhysicalCores)
			fmt.Fprintf(tw, "features\t%s\n", strings.Join(info.Features, " "))
			fmt.Fprintf(tw, "isa\t%s (available: %s)\n", info.ISA, strings.Join(info.ISAAvailable, ", "))
			fmt.Fprintf(tw, "threads\t%d\n", info.Threads)
			return tw.Flush()
		},
	}
}
