package report

import (
	"io"
)

// ProfileExport is the document --export-profile writes: the run's
// metadata and one record per step per batch size, the outside row of each
// batch size last (docs/profile.md).
type ProfileExport struct {
	Meta    Meta            `json:"meta"`
	Records []ProfileRecord `json:"records"`
}

// ProfileRecord is one step of one model at one batch size.
type ProfileRecord struct {
	Model  string `json:"model"`
	Device string `json:"device"`
	Batch  int    `json:"batch"`
	// BatchMS is the median latency of the batch size's profiling batches
	// and ProfiledBatches their number.
	BatchMS         float64 `json:"batch_ms"`
	ProfiledBatches int64   `json:"profiled_batches"`
	ProfileStep
}

// NewProfileExport gathers the profiles of rows into one document: rows
// without a profile, or whose profile has no steps, add no record.
func NewProfileExport(meta Meta, rows []Row) ProfileExport {
	doc := ProfileExport{Meta: meta, Records: []ProfileRecord{}}
	for _, r := range rows {
		p := r.Profile
		if p == nil || len(p.Steps) == 0 {
			continue
		}
		rec := func(s ProfileStep) ProfileRecord {
			return ProfileRecord{Model: r.Model, Device: r.Device, Batch: r.Batch, BatchMS: p.BatchMS, ProfiledBatches: p.Batches, ProfileStep: s}
		}
		for _, s := range p.Steps {
			doc.Records = append(doc.Records, rec(s))
		}
		doc.Records = append(doc.Records, rec(p.outsideRow()))
	}
	return doc
}

// WriteProfileExport writes doc as indented JSON with plain decimal numbers.
func WriteProfileExport(w io.Writer, doc ProfileExport) error {
	return writePlain(w, doc, "  ", "profile")
}
