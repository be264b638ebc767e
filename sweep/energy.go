package sweep

// AnyEnergy reports whether some point's energy per sample is known: the
// outputs show the figure only then, so CPU outputs stay as they were.
func AnyEnergy(pts []Point) bool {
	for _, p := range pts {
		if p.Energy.Valid {
			return true
		}
	}
	return false
}

// AnyCompareEnergy reports whether some side's energy per sample is known
// at some batch of a race.
func AnyCompareEnergy(pts []ComparePoint) bool {
	for _, p := range pts {
		if p.A.Energy.Valid || p.B.Energy.Valid {
			return true
		}
	}
	return false
}
