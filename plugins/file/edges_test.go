package main

import (
	"bufio"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/logplug/logplug/api"
)

// cuttingSink is a file whose writes a full disk cuts short: write i
// writes only the first allow[i] bytes (or all but the last byte, for
// allButLast; all of them, for all or past the end of allow) and then
// fails with ENOSPC.
type cuttingSink struct {
	*os.File
	allow []int
}

const (
	all        = -1
	allButLast = -2
)

func (s *cuttingSink) Write(p []byte) (int, error) {
	n := all
	if len(s.allow) > 0 {
		n, s.allow = s.allow[0], s.allow[1:]
	}
	switch {
	case n == allButLast:
		n = len(p) - 1
	case n == all || n >= len(p):
		return s.File.Write(p)
	}
	m, err := s.File.Write(p[:n])
	if err == nil {
		err = &fs.PathError{Op: "write", Path: s.Name(), Err: syscall.ENOSPC}
	}
	return m, err
}

// A part is what the file holds of message msg: the whole line, or its
// first n bytes (a line cut short, and ended by the next write's newline).
type part struct{ msg, n int }

// TestCutLines writes four messages, some of whose writes are cut short,
// and checks that a cut line stays a line of its own: the next line is
// whole, on a line of its own, and every cut message counts as failed.
func TestCutLines(t *testing.T) {
	tests := []struct {
		name  string
		allow []int
		want  []part
		fails uint64
	}{
		{"no cut", nil, []part{{0, all}, {1, all}, {2, all}, {3, all}}, 0},
		{"cut in the middle", []int{all, 20}, []part{{0, all}, {1, 20}, {2, all}, {3, all}}, 1},
		{"cut before the newline", []int{all, allButLast}, []part{{0, all}, {1, allButLast}, {2, all}, {3, all}}, 1},
		{"nothing written", []int{all, 0}, []part{{0, all}, {2, all}, {3, all}}, 1},
		{"cut first", []int{5}, []part{{0, 5}, {1, all}, {2, all}, {3, all}}, 1},
		// The second cut write starts with the mending newline: it writes
		// that and 9 bytes of message 2.
		{"two cuts in a row", []int{all, 20, 10}, []part{{0, all}, {1, 20}, {2, 9}, {3, all}}, 2},
		{"only the mending newline written", []int{all, 20, 1}, []part{{0, all}, {1, 20}, {3, all}}, 2},
		{"cut, then nothing written", []int{all, 20, 0}, []part{{0, all}, {1, 20}, {3, all}}, 2},
	}
	stamp := time.Date(2026, 12, 3, 17, 40, 0, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out.log")
			l := &logger{now: func() time.Time { return stamp }}
			if err := l.Configure(map[string]string{"path": path}); err != nil {
				t.Fatal(err)
			}
			l.out.w = &cuttingSink{File: l.out.w.(*os.File), allow: tt.allow}
			for i := range 4 {
				l.Info("m"+strconv.Itoa(i), nil)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}

			var want strings.Builder
			for _, p := range tt.want {
				var e encoder
				line := e.json(stamp, levelInfo, "m"+strconv.Itoa(p.msg), nil)
				switch p.n {
				case all:
				case allButLast:
					line = line[:len(line)-1]
				default:
					line = line[:p.n]
				}
				want.Write(line)
				if !strings.HasSuffix(want.String(), "\n") {
					want.WriteByte('\n')
				}
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != want.String() {
				t.Errorf("file holds\n%s\nwant\n%s", got, want.String())
			}
			n, last := l.Failures()
			if n != tt.fails || (n == 0) != (last == nil) {
				t.Fatalf("Failures() = %d, %v; want %d", n, last, tt.fails)
			}
			if last != nil && !strings.HasPrefix(last.Error(), "write "+path+": no space left on device") {
				t.Errorf("Failures() error %q, want the write's error", last)
			}
		})
	}
}

// TestCutLineMessage checks what Failures says of a cut line.
func TestCutLineMessage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.log")
	stamp := time.Date(2026, 12, 3, 17, 40, 0, 0, time.UTC)
	l := &logger{now: func() time.Time { return stamp }}
	if err := l.Configure(map[string]string{"path": path, "format": "text"}); err != nil {
		t.Fatal(err)
	}
	l.out.w = &cuttingSink{File: l.out.w.(*os.File), allow: []int{20}}
	l.Info("cut", nil) // "2026-12-03T17:40:00.000000000Z INFO cut\n"
	checkFailures(t, l, 1, fmt.Sprintf("write %s: no space left on device "+
		"(cut after 20 of 40 bytes; the next line starts on a line of its own)", path))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestFullDisk writes to /dev/full, where every write fails with ENOSPC.
func TestFullDisk(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full:", err)
	}
	for _, format := range []string{"json", "text"} {
		t.Run(format, func(t *testing.T) {
			l := &logger{}
			if err := l.Configure(map[string]string{"path": "/dev/full", "format": format}); err != nil {
				t.Fatal(err)
			}
			l.Info("lost", nil)
			l.Error("lost", map[string]string{"k": "v"})
			l.Log("lost", nil)
			if err := l.Flush(); err != nil {
				t.Errorf("Flush = %v, want nil: Failures counts the failed writes", err)
			}
			checkFailures(t, l, 3, "write /dev/full: no space left on device")
			if err := l.Close(); err != nil {
				t.Errorf("Close = %v, want nil", err)
			}
			checkFailures(t, l, 3, "write /dev/full: no space left on device")
		})
	}
}

// fakeClock is a clock that a test moves; the plugin reads it under its
// mutex, so that moving it between calls needs no lock.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// settingsFor returns the settings of path, with rotation on or off.
func settingsFor(path string, rotate bool) map[string]string {
	if rotate {
		return map[string]string{"path": path, "max_size_mb": "1"}
	}
	return map[string]string{"path": path}
}

// TestPathChanges removes, renames or replaces the file mid-run, and checks
// that the next check, a second later, finds it: lines written to a
// removed file are counted as failed, and the file recreated; a renamed file
// keeps its lines and the path is opened again.
func TestPathChanges(t *testing.T) {
	tests := []struct {
		name string
		// change changes the file at path, in folder dir (path's parent's
		// parent).
		change func(dir, path string) error
		// wantOld is the lines in path+".1"; wantNew, in path; both
		// without "other".
		wantOld, wantNew int
		fails            uint64
	}{
		{"file removed", func(_, path string) error { return os.Remove(path) }, 0, 3, 5},
		{"folder removed", func(dir, _ string) error { return os.RemoveAll(dir) }, 0, 3, 5},
		{"removed, and a new file put in its place", func(_, path string) error {
			return firstError(os.Remove(path), os.WriteFile(path, []byte("other\n"), 0o600))
		}, 0, 3, 5},
		{"renamed", func(_, path string) error { return os.Rename(path, path+".1") }, 5, 3, 0},
		{"renamed, and a new file put in its place", func(_, path string) error {
			return firstError(os.Rename(path, path+".1"), os.WriteFile(path, []byte("other\n"), 0o600))
		}, 5, 3, 0},
		{"renamed into another folder", func(dir, path string) error {
			return os.Rename(path, filepath.Join(dir, "..", "moved.log"))
		}, 0, 3, 0},
		{"untouched", func(string, string) error { return nil }, 0, 8, 0},
	}
	for _, rotate := range []bool{false, true} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/rotate=%v", tt.name, rotate), func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), "logs")
				path := filepath.Join(dir, "app", "out.log")
				clock := &fakeClock{time.Date(2026, 12, 3, 17, 40, 0, 0, time.UTC)}
				l := &logger{now: clock.now}
				if err := l.Configure(settingsFor(path, rotate)); err != nil {
					t.Fatal(err)
				}
				writeSequence(l, "before", 3, 10)
				if err := tt.change(dir, path); err != nil {
					t.Fatal(err)
				}
				// Within the second, nothing is checked: these lines go to
				// the file that was open.
				writeSequence(l, "between", 2, 10)
				clock.advance(time.Second)
				writeSequence(l, "after", 3, 10)
				if err := l.Close(); err != nil {
					t.Fatal(err)
				}

				want := ""
				if tt.fails > 0 {
					want = fmt.Sprintf("%s was removed while open; recreated it: "+
						"the 5 lines written to it since the last check (1s before) are lost", path)
				}
				checkFailures(t, l, tt.fails, want)
				if tt.wantOld > 0 {
					if got := readLines(t, path+".1"); len(got) != tt.wantOld {
						t.Errorf("the renamed file holds %d lines, want %d", len(got), tt.wantOld)
					}
				}
				got := slices.DeleteFunc(readLines(t, path), func(s string) bool { return s == "other" })
				if len(got) != tt.wantNew {
					t.Errorf("%s holds %d lines, want %d", path, len(got), tt.wantNew)
				}
				// The rotation lock is held again, even where it was removed
				// with the folder.
				if rotate {
					checkLockFile(t, path+".lock")
				}
			})
		}
	}
}

// firstError returns the first of errs that is not nil.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// TestRemovedAndNotRecreated removes the file's folder and puts a file in
// its place: the file can't be created again, and every line written to the
// removed file counts as failed, at each check.
func TestRemovedAndNotRecreated(t *testing.T) {
	for _, rotate := range []bool{false, true} {
		t.Run(fmt.Sprintf("rotate=%v", rotate), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "app")
			path := filepath.Join(dir, "out.log")
			clock := &fakeClock{time.Date(2026, 12, 3, 17, 40, 0, 0, time.UTC)}
			l := &logger{now: clock.now}
			if err := l.Configure(settingsFor(path, rotate)); err != nil {
				t.Fatal(err)
			}
			writeSequence(l, "0", 3, 10)
			if err := firstError(os.RemoveAll(dir), os.WriteFile(dir, []byte("not a folder\n"), 0o600)); err != nil {
				t.Fatal(err)
			}
			steps := []struct {
				lines int // written after the clock moved a second on
				fails uint64
				want  string
			}{
				{2, 3, "the 3 lines written to it since the last check (1s before) are lost"},
				{1, 5, "the 2 lines written to it since the last check (1s before) are lost"},
			}
			for _, s := range steps {
				clock.advance(time.Second)
				writeSequence(l, "0", s.lines, 10)
				checkFailures(t, l, s.fails, fmt.Sprintf("%s was removed while open: %s; recreating it: mkdir %s: not a directory", path, s.want, dir))
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			checkFailures(t, l, 6, path+" was removed while open: the line written to it since the last check (0s before) is lost")
		})
	}
}

// TestRemovedBeforeClose removes the file and writes to it within the
// second before Close: Close counts the lines as failed, without
// recreating the file.
func TestRemovedBeforeClose(t *testing.T) {
	for _, rotate := range []bool{false, true} {
		t.Run(fmt.Sprintf("rotate=%v", rotate), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out.log")
			clock := &fakeClock{time.Date(2026, 12, 3, 17, 40, 0, 0, time.UTC)}
			l := &logger{now: clock.now}
			if err := l.Configure(settingsFor(path, rotate)); err != nil {
				t.Fatal(err)
			}
			writeSequence(l, "0", 28, 10)
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			clock.advance(300 * time.Millisecond)
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			checkFailures(t, l, 28, path+" was removed while open: "+
				"the 28 lines written to it since the last check (300ms before) are lost")
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Errorf("Close recreated %s (%v)", path, err)
			}
		})
	}
}

// TestReopen renames the file, as logrotate does, and calls Reopen: the
// lines before are in the renamed file, those after in the new one.
func TestReopen(t *testing.T) {
	tests := []struct {
		name string
		// renamed, if set, is where the file goes, relative to its folder;
		// after is what else changes.
		renamed string
		after   func(path string) error
		wantErr string // with PATH for the path
		// old and fresh are the lines in the renamed file and in path.
		old, fresh int
	}{
		{"renamed", "out.log.1", nil, "", 3, 2},
		{"not renamed", "", nil, "", 0, 5},
		{"renamed, and the folder removed", "../out.log.1",
			func(path string) error { return os.RemoveAll(filepath.Dir(path)) }, "", 3, 2},
		{"renamed, and a folder put in its place", "out.log.1",
			func(path string) error { return os.Mkdir(path, 0o700) }, "reopen PATH: open PATH: is a directory", 5, 0},
	}
	for _, rotate := range []bool{false, true} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/rotate=%v", tt.name, rotate), func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "logs", "out.log")
				renamed := filepath.Join(filepath.Dir(path), tt.renamed)
				l := &logger{}
				if err := l.Configure(settingsFor(path, rotate)); err != nil {
					t.Fatal(err)
				}
				writeSequence(l, "0", 3, 10)
				if tt.renamed != "" {
					if err := os.Rename(path, renamed); err != nil {
						t.Fatal(err)
					}
				}
				if tt.after != nil {
					if err := tt.after(path); err != nil {
						t.Fatal(err)
					}
				}
				err := l.Reopen()
				if got, want := fmt.Sprint(err), strings.ReplaceAll(tt.wantErr, "PATH", path); (err != nil || want != "") && got != want {
					t.Errorf("Reopen() = %v, want %s", err, want)
				}
				// Lines 3 and 4 of the sequence.
				labels := map[string]string{"writer": "0", "pad": strings.Repeat("p", 10)}
				for i := 3; i < 5; i++ {
					labels["seq"] = strconv.Itoa(i)
					l.Info("line", labels)
				}
				if err := l.Close(); err != nil {
					t.Fatal(err)
				}
				checkFailures(t, l, 0, "")

				var lines []string
				if tt.renamed != "" {
					old := readLines(t, renamed)
					if len(old) != tt.old {
						t.Errorf("the renamed file holds %d lines, want %d", len(old), tt.old)
					}
					lines = append(lines, old...)
				}
				if tt.fresh > 0 {
					fresh := readLines(t, path)
					if len(fresh) != tt.fresh {
						t.Errorf("%s holds %d lines, want %d", path, len(fresh), tt.fresh)
					}
					lines = append(lines, fresh...)
				}
				checkSequences(t, lines, 1, 5)
				if rotate {
					checkLockFile(t, path+".lock")
				}
			})
		}
	}
}

// TestReopenUnconfiguredOrClosed checks that Reopen does nothing before
// Configure and after Close.
func TestReopenUnconfiguredOrClosed(t *testing.T) {
	var l logger
	if err := l.Reopen(); err != nil {
		t.Errorf("Reopen before Configure = %v, want nil", err)
	}
	path := filepath.Join(t.TempDir(), "out.log")
	if err := l.Configure(map[string]string{"path": path}); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := l.Reopen(); err != nil {
		t.Errorf("Reopen after Close = %v, want nil", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("Reopen after Close created %s", path)
	}
}

// TestRotationLock configures instances on one path, in turn: a second
// rotating writer is refused while the first holds the lock, writers
// without rotation take no lock, and Close and a Configure that moves to
// another file release it.
func TestRotationLock(t *testing.T) {
	dir := t.TempDir()
	path, other := filepath.Join(dir, "app.log"), filepath.Join(dir, "other.log")
	refused := fmt.Sprintf(`setting path=%q: another writer in this process (pid %d) writes and rotates this file `+
		`(it holds %s.lock); two rotating writers would lose lines: give each its own file, `+
		`or rotate with logrotate and SIGHUP instead of max_size_mb`, path, os.Getpid(), path)
	loggers := make([]logger, 3)
	steps := []struct {
		do       string // "configure" or "close"
		instance int
		settings map[string]string
		want     string
	}{
		{"configure", 0, settingsFor(path, true), ""},
		{"configure", 1, settingsFor(path, true), refused},
		{"configure", 2, settingsFor(path, false), ""}, // appends without a lock
		{"configure", 0, settingsFor(path, true), ""},  // the same file again: keeps its lock
		{"configure", 1, settingsFor(path, true), refused},
		{"configure", 0, settingsFor(other, true), ""}, // another file: releases path's lock
		{"configure", 1, settingsFor(path, true), ""},
		{"configure", 2, settingsFor(other, true), fmt.Sprintf(`setting path=%q: another writer in this process (pid %d) `+
			`writes and rotates this file (it holds %s.lock); two rotating writers would lose lines: give each its own file, `+
			`or rotate with logrotate and SIGHUP instead of max_size_mb`, other, os.Getpid(), other)},
		{"close", 1, nil, ""},
		{"close", 0, nil, ""},
		{"configure", 2, settingsFor(other, true), ""},
		{"close", 2, nil, ""},
	}
	for i, s := range steps {
		var err error
		if s.do == "close" {
			err = loggers[s.instance].Close()
		} else {
			err = loggers[s.instance].Configure(s.settings)
		}
		if got := fmt.Sprint(err); (err != nil || s.want != "") && got != s.want {
			t.Fatalf("step %d, %s instance %d %v: %v\nwant %s", i, s.do, s.instance, s.settings, err, s.want)
		}
	}
	checkLockFile(t, path+".lock")
}

// checkLockFile checks that the lock file name holds the process ID.
func checkLockFile(t *testing.T, name string) {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), strconv.Itoa(os.Getpid())+"\n"; got != want {
		t.Errorf("the lock file holds %q, want %q", got, want)
	}
}

// lockChildEnv, when set, makes TestRotationLockOtherProcess a child that
// holds the lock of the path it names until its standard input ends.
const lockChildEnv = "LOGPLUG_FILE_TEST_LOCK_CHILD"

// TestRotationLockOtherProcess has a child process hold the lock, and
// checks that Configure names it, and succeeds once it has exited.
func TestRotationLockOtherProcess(t *testing.T) {
	if path := os.Getenv(lockChildEnv); path != "" {
		holdLockAsChild(t, path)
		return
	}
	path := filepath.Join(t.TempDir(), "app.log")
	cmd := exec.Command(os.Args[0], "-test.run=^TestRotationLockOtherProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), lockChildEnv+"="+path)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(stdout).ReadString('\n'); line != "locked\n" {
		stdin.Close()
		t.Fatalf("the child said %q (%v), want locked", line, err)
	}

	l := &logger{}
	want := fmt.Sprintf(`setting path=%q: another process (pid %d) writes and rotates this file (it holds %s.lock); `+
		`two rotating writers would lose lines: give each its own file, or rotate with logrotate and SIGHUP instead of max_size_mb`,
		path, cmd.Process.Pid, path)
	if err := l.Configure(settingsFor(path, true)); err == nil || err.Error() != want {
		t.Errorf("Configure = %v\nwant %s", err, want)
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	if err := l.Configure(settingsFor(path, true)); err != nil {
		t.Errorf("Configure after the child exited = %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

// holdLockAsChild is the child process of TestRotationLockOtherProcess: it
// configures a rotating writer of path, says "locked", and closes it when
// its standard input ends.
func holdLockAsChild(t *testing.T, path string) {
	l := &logger{}
	if err := l.Configure(settingsFor(path, true)); err != nil {
		t.Fatal(err)
	}
	fmt.Println("locked")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err == nil {
		t.Error("unexpected input")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestSettingKeys checks that SettingKeys lists exactly the keys Configure
// accepts, and that the host's check suggests the nearest for a typo.
func TestSettingKeys(t *testing.T) {
	valid := map[string]string{"format": "text", "max_backups": "2", "max_size_mb": "1", "mode": "0600", "path": ""}
	var l logger
	if got, want := l.SettingKeys(), slices.Sorted(maps.Keys(valid)); !slices.Equal(got, want) {
		t.Errorf("SettingKeys() = %q, want %q", got, want)
	}
	valid["path"] = filepath.Join(t.TempDir(), "out.log")
	for _, k := range l.SettingKeys() {
		settings := map[string]string{"path": valid["path"], "max_size_mb": "1", k: valid[k]}
		var l logger
		if err := l.Configure(settings); err != nil {
			t.Errorf("Configure(%v) = %v", settings, err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct{ key, want string }{
		{"maxsize", "did you mean max_size_mb?"},
		{"fromat", "did you mean format?"},
		{"colour", "(the keys are format, max_backups, max_size_mb, mode and path)"},
	}
	for _, tt := range tests {
		err := api.CheckSettingKeys(&l, map[string]string{"path": "x", tt.key: "v"})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("CheckSettingKeys with %q = %v, want it to say %q", tt.key, err, tt.want)
		}
		// Configure refuses the key too.
		if err := l.Configure(map[string]string{"path": "x", tt.key: "v"}); err == nil || !strings.Contains(err.Error(), "unknown key") {
			t.Errorf("Configure with %q = %v, want an unknown key", tt.key, err)
		}
	}
}

// TestOpenFileEndingInCutLine opens a file that an earlier run left ending
// in a cut line: the first line written starts on a line of its own.
func TestOpenFileEndingInCutLine(t *testing.T) {
	tests := []struct {
		name, before, want string
	}{
		{"cut", `{"time":"2026`, `{"time":"2026` + "\n"},
		{"whole", "{}\n", "{}\n"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "app.log")
			if err := os.WriteFile(path, []byte(tt.before), 0o640); err != nil {
				t.Fatal(err)
			}
			l := &logger{}
			if err := l.Configure(map[string]string{"path": path}); err != nil {
				t.Fatal(err)
			}
			l.Info("after", nil)
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got, line, _ := strings.Cut(string(b)[len(tt.want):], "\n")
			if !strings.HasPrefix(string(b), tt.want) || !strings.HasPrefix(got, `{"time":`) || !strings.Contains(got, `"msg":"after"`) || line != "" {
				t.Errorf("file holds %q; want %q, then the new line whole", b, tt.want)
			}
		})
	}
}
