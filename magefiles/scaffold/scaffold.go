// Package scaffold starts a new plugin in the repository as a copy of a
// reference plugin: the work of `go tool mage new:plugin NAME`.
//
// The copy gets its own module path, package documentation and
// self-described name, and is added to go.work, so that it builds, passes
// its tests (the template's, conformance suite included) and loads into the
// host with no further edit.
//
// Settings come from the environment, read in this file only:
//
//   - LOGPLUG_TEMPLATE: the reference plugin to copy, a folder name under
//     plugins/ such as "zerolog"; "stdoutjson" when unset.
package scaffold

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/scanner"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// TemplateEnv names the environment variable that chooses the template.
const TemplateEnv = "LOGPLUG_TEMPLATE"

// DefaultTemplate is the reference plugin a new plugin starts from when
// $LOGPLUG_TEMPLATE is unset: the smallest complete one.
const DefaultTemplate = "stdoutjson"

// PluginsDir is the folder, relative to the repository root, that holds
// one module per plugin.
const PluginsDir = "plugins"

// Template returns the template chosen by $LOGPLUG_TEMPLATE, or
// DefaultTemplate.
func Template() string {
	if t := os.Getenv(TemplateEnv); t != "" {
		return t
	}
	return DefaultTemplate
}

// A Result describes a new plugin.
type Result struct {
	// Dir is the plugin's folder, relative to the root, such as
	// "plugins/myplugin".
	Dir string
	// Module is its module path.
	Module string
	// Files are the files written, relative to Dir, sorted.
	Files []string
}

// Plugin creates root/plugins/NAME as a copy of the reference plugin
// root/plugins/TEMPLATE and adds it to root/go.work. In the copy it
// rewrites:
//
//   - the module path: the template's, with NAME as its last element;
//   - every Go string literal that is exactly the template's name (the
//     name the plugin gives itself in Describe, and tests that expect it);
//   - in comments and Markdown files, "Command TEMPLATE", "TEMPLATE.so" and
//     "plugins/TEMPLATE", so that the package documentation names the new
//     plugin. Other mentions (an import path that ends in the template's
//     name, say) are left alone.
//
// Built files (*.so, *.test) are not copied. Plugin refuses a name that
// [CheckName] refuses or that is taken, and creates nothing then; if it
// fails after creating the folder, it removes it.
func Plugin(ctx context.Context, root, name, template string) (Result, error) {
	if err := CheckName(name); err != nil {
		return Result{}, err
	}
	src := filepath.Join(root, PluginsDir, template)
	tmplModule, err := modulePath(filepath.Join(src, "go.mod"))
	if err != nil {
		return Result{}, fmt.Errorf("template %q (set $%s to choose another): %w; the templates are %s",
			template, TemplateEnv, err, strings.Join(templates(root), ", "))
	}
	rel := path.Join(PluginsDir, name)
	dst := filepath.Join(root, filepath.FromSlash(rel))
	if _, err := os.Lstat(dst); err == nil {
		return Result{}, fmt.Errorf("plugin name %q is taken: %s already exists; choose another name", name, rel)
	}
	if _, err := os.Stat(filepath.Join(root, "go.work")); err != nil {
		return Result{}, fmt.Errorf("no go.work in %s: run new:plugin from the repository root", root)
	}
	r := Result{Dir: rel, Module: path.Join(path.Dir(tmplModule), name)}
	if r.Files, err = copyTree(src, dst); err != nil {
		os.RemoveAll(dst)
		return Result{}, err
	}
	if err := rewrite(ctx, dst, r.Files, template, name, r.Module); err != nil {
		os.RemoveAll(dst)
		return Result{}, err
	}
	if err := goCmd(ctx, root, "go.work", "work", "use", "./"+rel); err != nil {
		os.RemoveAll(dst)
		return Result{}, err
	}
	return r, nil
}

// reserved are file names Windows refuses, which a module path element may
// not be either.
var reserved = []string{"con", "prn", "aux", "nul",
	"com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9",
	"lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9"}

// nameRule says what a plugin name may be, and why.
const nameRule = "a plugin name is lower-case letters, digits, '-' and '_', starting with a letter, " +
	"since it becomes the folder plugins/NAME, the last element of the module path and the file NAME.so"

// CheckName reports whether name can name a new plugin. The rule is
// stricter than that of a module path element (golang.org/x/mod/module's
// CheckPathElement): no upper case, which two file systems may fold
// together, and no dots or tildes, which are confusing in NAME.so.
func CheckName(name string) error {
	if name == "" {
		return errors.New("no plugin name given; " + nameRule)
	}
	for i, c := range name {
		ok := 'a' <= c && c <= 'z' || i > 0 && ('0' <= c && c <= '9' || c == '-' || c == '_')
		if !ok {
			return fmt.Errorf("invalid plugin name %q: %q is not allowed %s; %s", name, c, where(i), nameRule)
		}
	}
	for _, r := range reserved {
		if name == r {
			return fmt.Errorf("invalid plugin name %q: Windows reserves it as a file name; choose another", name)
		}
	}
	return nil
}

// where says where in a name a refused character is.
func where(i int) string {
	if i == 0 {
		return "first"
	}
	return "in it"
}

// templates lists the plugin folders under root, for an error message.
func templates(root string) []string {
	mods, _ := filepath.Glob(filepath.Join(root, PluginsDir, "*", "go.mod"))
	var names []string
	for _, m := range mods {
		names = append(names, filepath.Base(filepath.Dir(m)))
	}
	sort.Strings(names)
	return names
}

// modulePath reads the module path from a go.mod file.
func modulePath(gomod string) (string, error) {
	data, err := os.ReadFile(gomod)
	if err != nil {
		return "", fmt.Errorf("no %s", filepath.ToSlash(gomod))
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module"); ok {
			if p := strings.Trim(strings.TrimSpace(rest), `"`); p != "" {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("%s has no module line", filepath.ToSlash(gomod))
}

// skipped reports whether a file of the template is a build product, which
// the copy does not get.
func skipped(name string) bool {
	return strings.HasSuffix(name, ".so") || strings.HasSuffix(name, ".test") || strings.HasSuffix(name, ".prof")
}

// copyTree copies the regular files under src to dst, which must not
// exist, keeping their permissions, and returns their paths relative to
// dst, sorted.
func copyTree(src, dst string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			if rel == "." {
				return os.Mkdir(target, 0o755)
			}
			return os.MkdirAll(target, 0o755)
		case !d.Type().IsRegular() || skipped(d.Name()):
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(target, data, info.Mode().Perm()); err != nil {
			return err
		}
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	sort.Strings(files)
	return files, nil
}

// rewrite makes the copy in dir its own plugin, as Plugin describes.
func rewrite(ctx context.Context, dir string, files []string, template, name, module string) error {
	if err := goCmd(ctx, dir, "", "mod", "edit", "-module", module); err != nil {
		return err
	}
	text := textRewriter(template, name)
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f))
		var rw func([]byte) ([]byte, error)
		switch {
		case strings.HasSuffix(f, ".go"):
			rw = func(src []byte) ([]byte, error) { return rewriteGo(p, src, template, name, text) }
		case strings.HasSuffix(f, ".md"):
			rw = func(src []byte) ([]byte, error) { return []byte(text(string(src))), nil }
		default:
			continue
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out, err := rw(src)
		if err != nil {
			return err
		}
		if !bytes.Equal(out, src) {
			if err := os.WriteFile(p, out, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// textRewriter returns a function that renames the plugin in prose:
// "Command TEMPLATE", "TEMPLATE.so" and "plugins/TEMPLATE".
func textRewriter(template, name string) func(string) string {
	t := regexp.QuoteMeta(template)
	re := regexp.MustCompile(`\b(Command |plugins/)` + t + `\b|\b` + t + `\.so\b`)
	return func(s string) string {
		return re.ReplaceAllStringFunc(s, func(m string) string {
			return strings.Replace(m, template, name, 1)
		})
	}
}

// rewriteGo renames the plugin in a Go file: string literals that are
// exactly the template's name, and the prose of comments.
func rewriteGo(filename string, src []byte, template, name string, text func(string) string) ([]byte, error) {
	type edit struct {
		off, end int
		repl     string
	}
	var edits []edit
	fset := token.NewFileSet()
	file := fset.AddFile(filename, -1, len(src))
	var errs scanner.ErrorList
	var s scanner.Scanner
	s.Init(file, src, func(pos token.Position, msg string) { errs.Add(pos, msg) }, scanner.ScanComments)
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		off := file.Offset(pos)
		switch tok {
		case token.STRING:
			if v, err := strconv.Unquote(lit); err == nil && v == template {
				edits = append(edits, edit{off, off + len(lit), strconv.Quote(name)})
			}
		case token.COMMENT:
			if r := text(lit); r != lit {
				edits = append(edits, edit{off, off + len(lit), r})
			}
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("read %s: %w", filename, errs.Err())
	}
	var out bytes.Buffer
	last := 0
	for _, e := range edits {
		out.Write(src[last:e.off])
		out.WriteString(e.repl)
		last = e.end
	}
	out.Write(src[last:])
	return out.Bytes(), nil
}

// goCmd runs the go command in dir, in the workspace of dir/work when work
// is not "" and outside any workspace otherwise.
func goCmd(ctx context.Context, dir, work string, args ...string) error {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	gowork := "off"
	if work != "" {
		abs, err := filepath.Abs(filepath.Join(dir, work))
		if err != nil {
			return err
		}
		gowork = abs
	}
	cmd.Env = append(os.Environ(), "GOWORK="+gowork)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s (in %s): %w\n%s", strings.Join(args, " "), dir, err, out)
	}
	return nil
}
