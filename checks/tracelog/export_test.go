package tracelog

// WithSplit lets the external tests scan files in parts of n bytes.
func WithSplit(o Options, n int64) Options {
	o.splitBytes = n
	return o
}
