package host

import (
	"context"
	"encoding"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/logplug/logplug/api"
)

// HandlerOptions are options for a [Handler]. The zero value is the default
// for each option, as for [slog.HandlerOptions], whose fields these mirror.
type HandlerOptions struct {
	// Level is the minimum level of the records the handler passes on; see
	// [Handler.Enabled]. Nil means [slog.LevelInfo]. Use a [slog.LevelVar] to
	// change the level while the program runs.
	Level slog.Leveler

	// AddSource adds a "source" label holding the file and line of the
	// statement that logged the record, such as "/src/app/main.go:42".
	AddSource bool

	// ReplaceAttr, if not nil, is called to rewrite each label before it is
	// sent: every non-group attribute, the "time" label, the "source" label
	// when AddSource is set, and the "level" label when the record has one
	// (see [Handler.Handle]). It works as [slog.HandlerOptions.ReplaceAttr]
	// does: the attribute's value has been resolved; returning an Attr whose
	// key and value are both zero drops it; groups lists the groups that
	// contain the attribute, and is nil for the built-in labels; it must not
	// be retained or modified. The message and the level that picks the
	// plugins' method are not attributes, and are never passed to it.
	ReplaceAttr func(groups []string, a slog.Attr) slog.Attr
}

// A Handler is a [slog.Handler] that sends every record to the plugins of a
// [Host]: the record's level picks the plugins' method (see [SlogLevel]), its
// message is the message, and its attributes become labels. Install it with
//
//	slog.SetDefault(slog.New(host.NewHandler(h, nil)))
//
// A Handler is safe for concurrent use, as the Host is.
type Handler struct {
	host   *Host
	opts   HandlerOptions
	prefix string   // the open groups, each followed by "."
	groups []string // the open groups, for ReplaceAttr
	attrs  []label  // from WithAttrs, formatted, with their full keys
}

// A label is one formatted attribute.
type label struct{ key, value string }

// NewHandler returns a handler that sends records to the plugins of h. A nil
// opts means the default options.
//
// Closing h, which the program must do before it exits so that plugins
// flush what they buffer, makes every handler over it discard records.
func NewHandler(h *Host, opts *HandlerOptions) *Handler {
	if h == nil {
		panic("host.NewHandler: nil *Host")
	}
	hd := &Handler{host: h}
	if opts != nil {
		hd.opts = *opts
	}
	return hd
}

// SlogLevel returns the plugin level that a record at slog level l is sent
// at. Each of slog's four levels maps to the method of the same name, and
// the levels between them map to the nearest one below, so that INFO+2 is
// sent to Info:
//
//	l < LevelDebug               api.LevelLog (for example a "trace" level, DEBUG-4)
//	LevelDebug <= l < LevelInfo  api.LevelDebug
//	LevelInfo  <= l < LevelWarn  api.LevelInfo
//	LevelWarn  <= l < LevelError api.LevelWarn
//	LevelError <= l              api.LevelError
//
// The levels below [slog.LevelDebug] have no method of their own, so they go
// to Log, the method for messages without a level. As with every message, a
// plugin that lacks Debug receives debug messages in Log, and one that
// lacks Error receives errors in Warn.
func SlogLevel(l slog.Level) api.Level {
	switch {
	case l >= slog.LevelError:
		return api.LevelError
	case l >= slog.LevelWarn:
		return api.LevelWarn
	case l >= slog.LevelInfo:
		return api.LevelInfo
	case l >= slog.LevelDebug:
		return api.LevelDebug
	}
	return api.LevelLog
}

// Enabled reports whether a record at level l is sent to the plugins: it is
// when l is at least the handler's minimum level, [HandlerOptions.Level],
// and some plugin wants it ([Host.Enabled]).
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool {
	minLevel := slog.LevelInfo
	if h.opts.Level != nil {
		minLevel = h.opts.Level.Level()
	}
	return l >= minLevel && h.host.Enabled(ctx, l)
}

// Handle sends r to every plugin of the handler's Host, with the method that
// [SlogLevel] picks for r.Level, r.Message as the message and these labels,
// in this order:
//
//   - "time": r.Time in RFC 3339 format with nanoseconds
//     ("2006-01-02T15:04:05.999999999Z07:00"), unless r.Time is zero;
//   - "level": r.Level as slog names it, such as "INFO+2" or "DEBUG-4", only
//     when it is not one of slog's four levels, which the method already
//     says;
//   - "source": "file:line", when [HandlerOptions.AddSource] is set and r
//     has a program counter;
//   - the attributes given to [Handler.WithAttrs], then r's attributes.
//
// An attribute's key is prefixed with the groups that contain it, each
// followed by a dot, so that slog.Group("req", "method", "GET") under
// WithGroup("http") becomes the label "http.req.method". A group with an
// empty key is inlined, and a group with no attributes and an empty
// attribute are dropped. Values are resolved ([slog.LogValuer]) and
// formatted as strings: strings as they are, numbers and booleans by
// [strconv], a [time.Time] in RFC 3339 with nanoseconds, a [time.Duration] in
// Go's notation ("1.5s"), an error by its message, an
// [encoding.TextMarshaler] by its text, a []byte as its bytes, and any other
// value by fmt's %+v. When two labels have the same key, the later one is
// kept, as when JSON with repeated keys is decoded.
//
// Handle returns nil: plugins report no errors for single messages.
func (h *Handler) Handle(_ context.Context, r slog.Record) error {
	st := newState()
	defer st.free()

	if !r.Time.IsZero() {
		st.builtin(h, slog.Time(slog.TimeKey, r.Time))
	}
	if !standardLevel(r.Level) {
		st.builtin(h, slog.Any(slog.LevelKey, r.Level))
	}
	if h.opts.AddSource {
		if src := r.Source(); src != nil {
			st.builtin(h, slog.Any(slog.SourceKey, src))
		}
	}
	nbuiltin := len(st.entries)

	if h.opts.ReplaceAttr != nil {
		st.groups = append(st.groups, h.groups...)
	}
	r.Attrs(func(a slog.Attr) bool {
		st.attr(h, a)
		return true
	})

	text := string(st.buf) // every formatted key and value, in one allocation
	for _, e := range st.entries[:nbuiltin] {
		st.labels[e.key.in(text)] = e.value.in(text)
	}
	for _, l := range h.attrs {
		st.labels[l.key] = l.value
	}
	for _, e := range st.entries[nbuiltin:] {
		st.labels[e.key.in(text)] = e.value.in(text)
	}
	h.host.Send(SlogLevel(r.Level), r.Message, st.labels)
	return nil
}

// standardLevel reports whether l is one of slog's four named levels.
func standardLevel(l slog.Level) bool {
	switch l {
	case slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError:
		return true
	}
	return false
}

// WithAttrs returns a handler whose records have the labels of attrs, under
// the groups that are open in h, before their own. The attributes are
// resolved and formatted once, here.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	st := newState()
	defer st.free()
	if h.opts.ReplaceAttr != nil {
		st.groups = append(st.groups, h.groups...)
	}
	for _, a := range attrs {
		st.attr(h, a)
	}
	text := string(st.buf)
	h2 := *h
	h2.attrs = make([]label, len(h.attrs), len(h.attrs)+len(st.entries))
	copy(h2.attrs, h.attrs)
	for _, e := range st.entries {
		h2.attrs = append(h2.attrs, label{e.key.in(text), e.value.in(text)})
	}
	return &h2
}

// WithGroup returns a handler that puts the attributes of its records, and
// those given to its WithAttrs, in the group name: their labels' keys start
// with name and a dot. A group that receives no attributes leaves no trace.
// An empty name returns h.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.prefix = h.prefix + name + "."
	h2.groups = append(slices.Clip(h.groups), name)
	return &h2
}

// A span is a piece of text: s itself, or, when inBuf is set, the bytes
// off:end of the state's buffer, which become a string only once every key
// and value of a record has been formatted.
type span struct {
	s        string
	off, end int
	inBuf    bool
}

// in returns the span's text, given the state's buffer as a string.
func (p span) in(text string) string {
	if p.inBuf {
		return text[p.off:p.end]
	}
	return p.s
}

// An entry is one label, formatted.
type entry struct{ key, value span }

// A state holds the work of formatting one record, or one WithAttrs call.
// States are pooled, so that a record costs no allocation beyond the one
// string that holds its formatted keys and values.
type state struct {
	labels  map[string]string
	buf     []byte
	entries []entry
	prefix  []byte   // groups opened inside the record, each followed by "."
	groups  []string // every open group, kept only for ReplaceAttr
}

var statePool = sync.Pool{New: func() any {
	return &state{labels: make(map[string]string, 16), buf: make([]byte, 0, 512)}
}}

func newState() *state { return statePool.Get().(*state) }

// Limits above which a state is dropped rather than pooled, so that one huge
// record does not keep its memory alive.
const (
	maxPooledLabels = 256
	maxPooledBuf    = 64 << 10
)

// free returns st to the pool. Plugins may not keep the labels map, so it
// can be reused as soon as Send returns.
func (st *state) free() {
	if len(st.entries) > maxPooledLabels || len(st.labels) > maxPooledLabels || cap(st.buf) > maxPooledBuf {
		return
	}
	clear(st.labels)
	st.buf = st.buf[:0]
	st.entries = st.entries[:0]
	st.prefix = st.prefix[:0]
	clear(st.groups) // drop the references to the group names
	st.groups = st.groups[:0]
	statePool.Put(st)
}

// builtin adds a label of the handler's own (time, level, source), outside
// every group.
func (st *state) builtin(h *Handler, a slog.Attr) {
	if h.opts.ReplaceAttr != nil {
		if a = h.opts.ReplaceAttr(nil, a); isEmpty(a) {
			return
		}
		a.Value = a.Value.Resolve()
		if a.Value.Kind() == slog.KindGroup {
			st.group(h, a)
			return
		}
	}
	st.entries = append(st.entries, entry{span{s: a.Key}, st.value(a.Value)})
}

// attr adds the labels of one attribute of a record or of WithAttrs.
func (st *state) attr(h *Handler, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if h.opts.ReplaceAttr != nil && a.Value.Kind() != slog.KindGroup {
		a = h.opts.ReplaceAttr(st.groups, a)
		a.Value = a.Value.Resolve()
	}
	if isEmpty(a) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		st.group(h, a)
		return
	}
	var key span
	if h.prefix == "" && len(st.prefix) == 0 {
		key.s = a.Key
	} else {
		off := len(st.buf)
		st.buf = append(st.buf, h.prefix...)
		st.buf = append(st.buf, st.prefix...)
		st.buf = append(st.buf, a.Key...)
		key = span{off: off, end: len(st.buf), inBuf: true}
	}
	st.entries = append(st.entries, entry{key, st.value(a.Value)})
}

// group adds the labels of a group's attributes, under its key unless that
// is empty.
func (st *state) group(h *Handler, a slog.Attr) {
	attrs := a.Value.Group()
	if a.Key == "" {
		for _, ga := range attrs {
			st.attr(h, ga)
		}
		return
	}
	n := len(st.prefix)
	st.prefix = append(append(st.prefix, a.Key...), '.')
	if h.opts.ReplaceAttr != nil {
		st.groups = append(st.groups, a.Key)
	}
	for _, ga := range attrs {
		st.attr(h, ga)
	}
	st.prefix = st.prefix[:n]
	if h.opts.ReplaceAttr != nil {
		st.groups = st.groups[:len(st.groups)-1]
	}
}

// isEmpty reports whether a is the zero Attr, which handlers ignore.
func isEmpty(a slog.Attr) bool {
	return a.Key == "" && a.Value.Kind() == slog.KindAny && a.Value.Any() == nil
}

// value formats a resolved value that is not a group.
func (st *state) value(v slog.Value) span {
	off := len(st.buf)
	switch v.Kind() {
	case slog.KindString:
		return span{s: v.String()}
	case slog.KindBool:
		return span{s: strconv.FormatBool(v.Bool())}
	case slog.KindInt64:
		st.buf = strconv.AppendInt(st.buf, v.Int64(), 10)
	case slog.KindUint64:
		st.buf = strconv.AppendUint(st.buf, v.Uint64(), 10)
	case slog.KindFloat64:
		st.buf = strconv.AppendFloat(st.buf, v.Float64(), 'g', -1, 64)
	case slog.KindDuration:
		// Duration.String is inlined, so its result can stay on the
		// stack when it is only copied.
		st.buf = append(st.buf, v.Duration().String()...)
	case slog.KindTime:
		st.buf = v.Time().AppendFormat(st.buf, time.RFC3339Nano)
	default: // slog.KindAny; a resolved value is never a LogValuer
		return st.anyValue(v.Any())
	}
	return span{off: off, end: len(st.buf), inBuf: true}
}

// anyValue formats a value of kind Any. A nil pointer formats as "<nil>", and
// a method that panics as "!PANIC: " and what it panicked with, as in
// slog's own handlers.
func (st *state) anyValue(x any) (sp span) {
	off := len(st.buf)
	defer func() {
		if r := recover(); r != nil {
			if v := reflect.ValueOf(x); v.Kind() == reflect.Pointer && v.IsNil() {
				sp = span{s: "<nil>"}
				return
			}
			st.buf = fmt.Appendf(st.buf[:off], "!PANIC: %v", r)
			sp = span{off: off, end: len(st.buf), inBuf: true}
		}
	}()
	switch x := x.(type) {
	case error:
		return span{s: x.Error()}
	case *slog.Source:
		st.buf = append(st.buf, x.File...)
		st.buf = append(st.buf, ':')
		st.buf = strconv.AppendInt(st.buf, int64(x.Line), 10)
	case slog.Level:
		return span{s: x.String()}
	case encoding.TextMarshaler:
		text, err := x.MarshalText()
		if err != nil {
			return span{s: "!ERROR: " + err.Error()}
		}
		st.buf = append(st.buf, text...)
	case []byte:
		st.buf = append(st.buf, x...)
	default:
		st.buf = fmt.Appendf(st.buf, "%+v", x)
	}
	return span{off: off, end: len(st.buf), inBuf: true}
}
