package testtools

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// fakeSystem is a System whose PATH holds the programs in onPath, and
// whose commands answer from replies, in turn; it records the commands.
type fakeSystem struct {
	onPath  map[string]bool
	replies []reply
	ran     []string
}

// reply is what one fake command prints and returns.
type reply struct {
	out string
	err error
}

func (f *fakeSystem) system(goos string, root bool) System {
	return System{
		GOOS: goos,
		Root: root,
		LookPath: func(name string) (string, error) {
			if f.onPath[name] {
				return "/usr/bin/" + name, nil
			}
			return "", exec.ErrNotFound
		},
		Run: func(_ context.Context, name string, args ...string) ([]byte, error) {
			f.ran = append(f.ran, strings.Join(append([]string{name}, args...), " "))
			if len(f.replies) == 0 {
				return nil, errors.New("unexpected command")
			}
			r := f.replies[0]
			f.replies = f.replies[1:]
			if r.err == nil && name == "apt-get" && args[0] == "install" {
				f.onPath["logrotate"] = true
			}
			return []byte(r.out), r.err
		},
	}
}

var failed = errors.New("exit status 100")

func TestEnsure(t *testing.T) {
	tests := []struct {
		name    string
		goos    string
		root    bool
		onPath  []string
		replies []reply
		ran     []string // the commands run
		printed string   // part of what Ensure prints
		err     string   // part of its error, "" for none
	}{
		{name: "there already", goos: "linux", root: true, onPath: []string{"logrotate", "apt-get"}},
		{name: "root installs", goos: "linux", root: true, onPath: []string{"apt-get"},
			replies: []reply{{}}, ran: []string{"apt-get install -y logrotate"},
			printed: "installing logrotate: apt-get install -y logrotate"},
		{name: "root updates the lists when the package is unknown", goos: "linux", root: true, onPath: []string{"apt-get"},
			replies: []reply{{"E: Unable to locate package logrotate", failed}, {}, {}},
			ran:     []string{"apt-get install -y logrotate", "apt-get update", "apt-get install -y logrotate"},
			printed: "apt-get update"},
		{name: "another failure is not retried", goos: "linux", root: true, onPath: []string{"apt-get"},
			replies: []reply{{"E: Could not get lock /var/lib/dpkg/lock-frontend", failed}},
			ran:     []string{"apt-get install -y logrotate"}, printed: "installing logrotate", err: "Could not get lock"},
		{name: "a user is told how", goos: "linux", onPath: []string{"apt-get"},
			printed: "install it with `sudo apt-get install logrotate`"},
		{name: "no apt-get", goos: "linux", root: true,
			printed: "there is no apt-get"},
		{name: "macOS is told how", goos: "darwin",
			printed: "install it with `brew install logrotate`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeSystem{onPath: map[string]bool{}, replies: tt.replies}
			for _, p := range tt.onPath {
				f.onPath[p] = true
			}
			var w bytes.Buffer
			err := Ensure(context.Background(), f.system(tt.goos, tt.root), Tools, &w)
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("Ensure: %v, want no error", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("Ensure: %v, want an error holding %q", err, tt.err)
			}
			if strings.Join(f.ran, "; ") != strings.Join(tt.ran, "; ") {
				t.Errorf("ran %q, want %q", f.ran, tt.ran)
			}
			if !strings.Contains(w.String(), tt.printed) {
				t.Errorf("printed %q, want it to hold %q", w.String(), tt.printed)
			}
			if tt.printed == "" && w.Len() > 0 {
				t.Errorf("printed %q, want nothing", w.String())
			}
		})
	}
}
