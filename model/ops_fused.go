package model

// Checks shared by the fused ops Linear and FusedConv.

// fusedChecks refuses inputs that are not float32, a weight (input w) or bias
// (input b) that is not a constant, and an activation this package does not know.
func fusedChecks(c *inferCtx, w, b int) error {
	for i := range c.in {
		if c.has(i) {
			if err := c.wantType(i, tFloat); err != nil {
				return err
			}
		}
	}
	for _, i := range []int{w, b} {
		if c.has(i) && c.in[i].Const == nil {
			return c.errf("its input %q is not a constant; %s takes a constant weight and bias", c.name(i), c.n.Op)
		}
	}
	if err := ActivationOf(c.n).Valid(); err != nil {
		return c.errf("%v", err)
	}
	return nil
}

// fusedResidual refuses a residual input (input r) whose shape is not the output's.
func fusedResidual(c *inferCtx, r int, out Shape) error {
	if c.has(r) && !c.shape(r).Equal(out) {
		return c.errf("the residual %q has shape %v, not the output's %v", c.name(r), c.shape(r), out)
	}
	return nil
}
