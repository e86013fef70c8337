package api_test

import (
	"testing"

	"github.com/logplug/logplug/api"
)

// holder is a logger that records whether Hold was called.
type holder struct {
	recorder
	held int
}

func (h *holder) Hold() { h.held++ }

var _ api.Holder = (*holder)(nil)

func TestHold(t *testing.T) {
	h := &holder{}
	if !api.Hold(h) || h.held != 1 {
		t.Errorf("Hold of a Holder: reported false or held %d times, want true and once", h.held)
	}
	if api.Hold(&recorder{}) {
		t.Error("Hold of a plain logger reported true")
	}
}
