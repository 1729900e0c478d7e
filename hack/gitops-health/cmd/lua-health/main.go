// lua-health runs an Argo CD resource health script (health.lua) against one object, the way
// Argo CD's application controller does (argo-cd util/lua: VM.ExecuteHealthLua), and prints
// the result as {"status": ..., "message": ...}.
//
//	lua-health SCRIPT.lua < object.json
//
// Fidelity to Argo CD, which matters because a script that works in a stock Lua may fail there:
//   - gopher-lua, the VM Argo CD embeds;
//   - scripts from argocd-cm run without the standard libraries (useOpenLibs defaults to false):
//     only package, base and table are opened, plus Argo CD's "safe" os (time, date, clock),
//     so string.*, math.* and io.* are not available;
//   - the object becomes the global `obj` through the same conversion (numbers are Lua numbers,
//     nested maps and lists are tables);
//   - a 1 second execution limit;
//   - the script must return a table; a status outside Healthy, Progressing, Degraded,
//     Suspended, Missing, Unknown becomes Unknown with Argo CD's message.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	lua "github.com/yuin/gopher-lua"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

type health struct {
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: lua-health SCRIPT.lua < object.json")
		os.Exit(2)
	}
	script, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail(err)
	}
	raw, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	// Argo CD hands the script an unstructured object (integers are int64, as from the API).
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON(raw); err != nil {
		fail(fmt.Errorf("reading object: %w", err))
	}
	result, err := execute(obj, string(script))
	if err != nil {
		fail(err)
	}
	out, _ := json.Marshal(result)
	fmt.Println(string(out))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "lua-health:", err)
	os.Exit(1)
}

func execute(obj *unstructured.Unstructured, script string) (*health, error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.OsLibName, openSafeOs},
	} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			return nil, err
		}
	}
	l.PreloadModule(lua.OsLibName, func(l *lua.LState) int { return openSafeOs(l) })
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", decodeValue(l, obj.Object))
	if err := l.DoString(script); err != nil {
		return nil, err
	}
	ret := l.Get(-1)
	table, ok := ret.(*lua.LTable)
	if !ok {
		return nil, fmt.Errorf("expect table output from Lua script, not %s", ret.Type().String())
	}
	result := &health{}
	if s, ok := table.RawGetString("status").(lua.LString); ok {
		result.Status = string(s)
	}
	if m, ok := table.RawGetString("message").(lua.LString); ok {
		result.Message = string(m)
	}
	switch result.Status {
	case "Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown":
		return result, nil
	}
	return &health{Status: "Unknown", Message: "Lua returned an invalid health status"}, nil
}

// openSafeOs mirrors Argo CD's oslib_safe.go: only os.time, os.date and os.clock.
func openSafeOs(l *lua.LState) int {
	mod := l.RegisterModule(lua.OsLibName, map[string]lua.LGFunction{
		"time": func(l *lua.LState) int {
			l.Push(lua.LNumber(time.Now().Unix()))
			return 1
		},
		"clock": func(l *lua.LState) int {
			l.Push(lua.LNumber(float64(time.Now().UnixNano()) / 1e9))
			return 1
		},
		"date": func(l *lua.LState) int {
			l.Push(lua.LString(time.Now().UTC().Format(time.RFC3339)))
			return 1
		},
	})
	l.Push(mod)
	return 1
}

// decodeValue is Argo CD's conversion of an unstructured object into Lua values.
func decodeValue(l *lua.LState, value interface{}) lua.LValue {
	switch v := value.(type) {
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case json.Number:
		return lua.LString(v)
	case int:
		return lua.LNumber(v)
	case int32:
		return lua.LNumber(v)
	case int64:
		return lua.LNumber(v)
	case []interface{}:
		arr := l.CreateTable(len(v), 0)
		for _, item := range v {
			arr.Append(decodeValue(l, item))
		}
		return arr
	case map[string]interface{}:
		tbl := l.CreateTable(0, len(v))
		for key, item := range v {
			tbl.RawSetH(lua.LString(key), decodeValue(l, item))
		}
		return tbl
	}
	return lua.LNil
}
