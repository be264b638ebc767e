package cuda

// CublasReserveBytes is what cuBLAS and the context take on the device beyond
// our own buffers (cuBLAS's GEMM workspace and handle state), counted into the
// memory check before a batch is allocated.
const CublasReserveBytes = 64 << 20

// WeightBytes is the device memory the weights take (allocated once per executor).
func (p *Plan) WeightBytes() int64 {
	var n int64
	for _, b := range p.Buffers {
		if b.Role == RoleWeight {
			n += b.Bytes()
		}
	}
	return n
}

// BatchBytes is the device memory one batch's buffers take: inputs, activations and workspace.
func (p *Plan) BatchBytes() int64 {
	var n int64
	for _, b := range p.Buffers {
		if b.Role != RoleWeight {
			n += b.Bytes()
		}
	}
	return n
}

// PinnedBytes is the page-locked host staging for one batch: inputs and outputs.
func (p *Plan) PinnedBytes() int64 { return ioBytes(p.Inputs) + ioBytes(p.Outputs) }

// ioBytes is the size of a list of inputs or outputs together.
func ioBytes(l []IO) int64 {
	var n int64
	for _, io := range l {
		n += io.Bytes()
	}
	return n
}

// DeviceBytes is everything one device needs for this plan, the cuBLAS reserve included.
func (p *Plan) DeviceBytes() int64 { return p.WeightBytes() + p.BatchBytes() + CublasReserveBytes }
