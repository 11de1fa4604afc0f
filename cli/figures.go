package cli

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/mlpgo/mlpgo/mlp"
)

// figureDPI is the resolution of mlpgo's PNG figures.
const figureDPI = 96

// writeFigure draws plots, a grid of rows of equal length, into a PNG file
// of widthPx×heightPx pixels.
func writeFigure(path string, plots [][]*plot.Plot, widthPx, heightPx int) error {
	pt := func(px int) vg.Length { return vg.Length(px) * vg.Inch / figureDPI }
	img := vgimg.NewWith(vgimg.UseWH(pt(widthPx), pt(heightPx)), vgimg.UseDPI(figureDPI),
		vgimg.UseBackgroundColor(color.White))
	dc := draw.New(img)
	tiles := draw.Tiles{
		Rows: len(plots), Cols: len(plots[0]),
		PadX: vg.Millimeter, PadY: vg.Millimeter,
		PadTop: vg.Millimeter, PadBottom: vg.Millimeter, PadLeft: vg.Millimeter, PadRight: vg.Millimeter,
	}
	canvases := plot.Align(plots, tiles, dc)
	for i, row := range plots {
		for j, p := range row {
			if p != nil {
				p.Draw(canvases[i][j])
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}

// historyFigure returns the plots of a training history: the cost per
// epoch, and the training and validation accuracy per epoch.
func historyFigure(h mlp.History) ([][]*plot.Plot, error) {
	cost, train, valid := make(plotter.XYs, len(h)), make(plotter.XYs, len(h)), make(plotter.XYs, 0, len(h))
	for i, e := range h {
		x := float64(e.Epoch)
		cost[i] = plotter.XY{X: x, Y: e.Cost}
		train[i] = plotter.XY{X: x, Y: 100 * e.TrainAcc}
		if !math.IsNaN(e.ValidAcc) {
			valid = append(valid, plotter.XY{X: x, Y: 100 * e.ValidAcc})
		}
	}
	costPlot := plot.New()
	costPlot.Title.Text = "Cost"
	costPlot.X.Label.Text = "Epochs"
	costPlot.Y.Label.Text = "Cost"
	if err := addLine(costPlot, "", cost, 0); err != nil {
		return nil, fmt.Errorf("cost: %w", err)
	}

	accPlot := plot.New()
	accPlot.Title.Text = "Accuracy"
	accPlot.X.Label.Text = "Epochs"
	accPlot.Y.Label.Text = "Accuracy (%)"
	accPlot.Legend.Top = false
	accPlot.Legend.Left = false
	if err := addLine(accPlot, "training", train, 0); err != nil {
		return nil, fmt.Errorf("training accuracy: %w", err)
	}
	if err := addLine(accPlot, "validation", valid, 1); err != nil {
		return nil, fmt.Errorf("validation accuracy: %w", err)
	}
	return [][]*plot.Plot{{costPlot, accPlot}}, nil
}

// addLine adds a line of the style-th colour to p, with a legend entry if
// name is not empty. It fails on NaN or infinite values.
func addLine(p *plot.Plot, name string, xys plotter.XYs, style int) error {
	if len(xys) == 0 {
		return nil
	}
	l, err := plotter.NewLine(xys)
	if err != nil {
		return err
	}
	l.Color = plotColors[style%len(plotColors)]
	l.Width = vg.Points(1.5)
	if len(xys) == 1 {
		// A single epoch is a point, which a line does not show.
		s, _ := plotter.NewScatter(xys)
		s.Color = l.Color
		p.Add(s)
	}
	p.Add(l)
	if name != "" {
		p.Legend.Add(name, l)
	}
	return nil
}

// plotColors are the history's line colours (matplotlib's first two).
var plotColors = []color.Color{
	color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
}

// digitTile is one image of a digit grid: its values, row-major, and its
// title.
type digitTile struct {
	values []float32
	title  string
}

// digitFigure lays tiles out on a grid of cols columns, each drawn as the
// seed draws MNIST digits (matplotlib's 'Greys': dark ink on white).
func digitFigure(tiles []digitTile, height, width, cols int) [][]*plot.Plot {
	rows := (len(tiles) + cols - 1) / cols
	plots := make([][]*plot.Plot, rows)
	for i := range plots {
		plots[i] = make([]*plot.Plot, cols)
	}
	for i, t := range tiles {
		p := plot.New()
		p.HideAxes()
		p.Title.Text = t.title
		p.Add(plotter.NewImage(greysImage(t.values, height, width), 0, 0, float64(width), float64(height)))
		plots[i/cols][i%cols] = p
	}
	return plots
}

// greysImage renders values (height×width, row-major) with the smallest
// value white and the largest black, whatever the data's scaling.
func greysImage(values []float32, height, width int) *image.Gray {
	lo, hi := values[0], values[0]
	for _, v := range values {
		lo, hi = min(lo, v), max(hi, v)
	}
	img := image.NewGray(image.Rect(0, 0, width, height))
	if hi == lo {
		for i := range img.Pix {
			img.Pix[i] = 255
		}
		return img
	}
	for i, v := range values[:height*width] {
		img.Pix[i] = 255 - uint8(math.Round(float64(255*(v-lo)/(hi-lo))))
	}
	return img
}
