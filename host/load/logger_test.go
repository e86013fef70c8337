package load

import (
	"errors"
	"strings"
	"testing"

	"github.com/logplug/logplug/api"
)

type ptrLogger struct{ n int }

func (p *ptrLogger) Log(string, map[string]string)  { p.n++ }
func (p *ptrLogger) Info(string, map[string]string) { p.n++ }
func (p *ptrLogger) Warn(string, map[string]string) { p.n++ }

type valueLogger struct{}

func (valueLogger) Log(string, map[string]string)  {}
func (valueLogger) Info(string, map[string]string) {}
func (valueLogger) Warn(string, map[string]string) {}

// ownInterface is a plugin's own copy of the contract, as in the article.
type ownInterface interface {
	Log(msg string, labels map[string]string)
	Info(msg string, labels map[string]string)
	Warn(msg string, labels map[string]string)
}

type noWarn struct{}

func (noWarn) Log(string, map[string]string)  {}
func (noWarn) Info(string, map[string]string) {}

type wrongWarn struct{}

func (wrongWarn) Log(string, map[string]string)  {}
func (wrongWarn) Info(string, map[string]string) {}
func (wrongWarn) Warn(string)                    {}

func TestAsLogger(t *testing.T) {
	var (
		structVar                = ptrLogger{}
		valueVar                 = valueLogger{}
		ifaceVar    ownInterface = &ptrLogger{}
		apiVar      api.Logger   = valueLogger{}
		nilIface    ownInterface
		nilPtr      *ptrLogger
		noWarnVar   = noWarn{}
		wrongVar    = wrongWarn{}
		intVar      = 3
		funcVar     = func() {}
		ptrToPtrVar = &ptrLogger{}
	)
	tests := []struct {
		name    string
		sym     any // what plugin.Lookup returns: a pointer to the variable
		wantErr string
	}{
		{"struct variable with pointer methods (the article)", &structVar, ""},
		{"struct variable with value methods", &valueVar, ""},
		{"variable of the plugin's own interface type", &ifaceVar, ""},
		{"variable of type api.Logger", &apiVar, ""},
		{"pointer variable", &ptrToPtrVar, ""},
		{"nil interface variable", &nilIface, "LoggingPlugin is a nil load.ownInterface"},
		{"nil pointer variable", &nilPtr, "LoggingPlugin is a nil *load.ptrLogger"},
		{"missing method", &noWarnVar, "does not have the methods of a logger: *load.noWarn lacks Warn"},
		{"wrong signature", &wrongVar, "*load.wrongWarn has Warn(string), want Warn(string, map[string]string)"},
		{"an int", &intVar, "*int lacks Info, Log, Warn"},
		{"a func", &funcVar, "lacks Info, Log, Warn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := asLogger(tt.sym)
			if tt.wantErr == "" {
				if err != nil || l == nil {
					t.Fatalf("asLogger = %v, %v; want a logger", l, err)
				}
				l.Info("x", nil) // must not panic
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("asLogger error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
	// The article's shape must call the plugin's own variable, not a copy.
	if l, _ := asLogger(&structVar); l != nil {
		before := structVar.n
		l.Info("x", nil)
		if structVar.n != before+1 {
			t.Errorf("calls reached a copy: n = %d", structVar.n)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Path: "plugins/x.so", Err: errors.New("boom")}, "plugins/x.so: boom"},
		{&Error{Path: "plugins/x.so", Err: ErrNoSymbol, Fix: "add it"}, "plugins/x.so: no exported symbol LoggingPlugin; fix: add it"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
		if !errors.Is(tt.err, tt.err.Err) {
			t.Errorf("%v does not unwrap to its cause", tt.err)
		}
	}
}
