package api_test

import (
	"testing"

	"github.com/logplug/logplug/api"
)

// borrower is a logger that says whether it borrows labels.
type borrower struct {
	recorder
	borrows bool
}

func (b *borrower) BorrowsLabels() bool { return b.borrows }

var _ api.Borrower = (*borrower)(nil)

func TestBorrowsLabels(t *testing.T) {
	tests := []struct {
		name   string
		logger api.Logger
		want   bool
	}{
		{"plain logger", &recorder{}, false},
		{"borrower that says no", &borrower{borrows: false}, false},
		{"borrower that says yes", &borrower{borrows: true}, true},
	}
	for _, tt := range tests {
		if got := api.BorrowsLabels(tt.logger); got != tt.want {
			t.Errorf("BorrowsLabels(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}
