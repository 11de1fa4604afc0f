package cli

import (
	"encoding/json"
	"math"
)

// confusionMatrix counts the examples of each true class (row) by
// predicted class (column).
func confusionMatrix(pred []int, labels []uint8, classes int) [][]int {
	m := make([][]int, classes)
	for i := range m {
		m[i] = make([]int, classes)
	}
	for i, p := range pred {
		m[labels[i]][p]++
	}
	return m
}

// classStats is one class's line of eval's report.
type classStats struct {
	Class     int     `json:"class"`
	Precision float64 `json:"precision"` // NaN (null in JSON) when nothing was predicted as the class
	Recall    float64 `json:"recall"`    // NaN (null in JSON) when the class has no example
	Support   int     `json:"support"`   // examples of the class
}

// perClass returns each class's precision and recall from a confusion
// matrix.
func perClass(conf [][]int) []classStats {
	stats := make([]classStats, len(conf))
	for c := range conf {
		predicted, actual := 0, 0
		for k := range conf {
			predicted += conf[k][c]
			actual += conf[c][k]
		}
		stats[c] = classStats{
			Class:     c,
			Precision: ratio(conf[c][c], predicted),
			Recall:    ratio(conf[c][c], actual),
			Support:   actual,
		}
	}
	return stats
}

// ratio returns a/b, NaN when b is 0.
func ratio(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

// MarshalJSON writes NaN ratios as null, which JSON has instead.
func (s classStats) MarshalJSON() ([]byte, error) {
	type plain struct {
		Class     int      `json:"class"`
		Precision *float64 `json:"precision"`
		Recall    *float64 `json:"recall"`
		Support   int      `json:"support"`
	}
	orNull := func(f float64) *float64 {
		if math.IsNaN(f) {
			return nil
		}
		return &f
	}
	return json.Marshal(plain{s.Class, orNull(s.Precision), orNull(s.Recall), s.Support})
}
