package engine

// On returns the options as device d's engine takes them: a precision other
// than float32 is for GPU engines, so on the CPU, which computes in float32
// only (and refuses any other precision), it becomes FP32. A run that
// switches devices under one set of options (the dashboard's) opens each
// device with On.
func (o Options) On(d Device) Options {
	if d.Kind == CPU {
		o.Precision = FP32
	}
	return o
}
