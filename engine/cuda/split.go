package cuda

// Split divides a batch over devices as PyTorch's DataParallel does: evenly,
// the first devices taking one extra sample each while a remainder is left.
// Devices past the batch size get 0 and sit the batch out.
func Split(batch, devices int) []int {
	if devices <= 0 {
		return nil
	}
	out := make([]int, devices)
	if batch <= 0 {
		return out
	}
	each, rest := batch/devices, batch%devices
	for i := range out {
		out[i] = each
		if i < rest {
			out[i]++
		}
	}
	return out
}

// Offsets returns where each device's share starts in the batch.
func Offsets(shares []int) []int {
	out := make([]int, len(shares))
	at := 0
	for i, s := range shares {
		out[i] = at
		at += s
	}
	return out
}
