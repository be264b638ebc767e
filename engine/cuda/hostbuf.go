package cuda

// sameSlice reports whether a and b are the same memory: same first element
// and same length. The executor uses it to skip the host copy when Run is
// given its own page-locked buffers (engine.HostBuffers).
func sameSlice[T any](a, b []T) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}
