/*
Copyright 2026 The Amber Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

// Package argocdhealth runs an Argo CD health script (health.lua) on an object the way Argo CD
// does, so Amber's script can be tested from Go against objects Amber wrote: the same Lua VM
// (github.com/yuin/gopher-lua), the same conversion of the object into a Lua table, and the
// same libraries. Argo CD's util/lua opens only the package, base and table libraries (and a
// restricted os) for argocd-cm scripts unless useOpenLibs is set, and all of them for its
// built-in scripts and their tests.
package argocdhealth

import (
	"encoding/json"
	"errors"
	"fmt"

	lua "github.com/yuin/gopher-lua"
)

// Health is what a health script returns.
type Health struct {
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

// Run runs script with obj (an unstructured object's content) as the global obj. openLibs
// loads every standard library (lua.NewState()); without it, only what argocd-cm scripts get.
func Run(script string, obj map[string]any, openLibs bool) (Health, error) {
	var l *lua.LState
	if openLibs {
		l = lua.NewState()
	} else {
		l = lua.NewState(lua.Options{SkipOpenLibs: true})
		for _, lib := range []struct {
			name string
			open lua.LGFunction
		}{{lua.LoadLibName, lua.OpenPackage}, {lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}} {
			if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
				return Health{}, fmt.Errorf("open Lua library %s: %w", lib.name, err)
			}
		}
	}
	defer l.Close()
	l.SetGlobal("obj", toLua(l, obj))
	if err := l.DoString(script); err != nil {
		return Health{}, fmt.Errorf("run health script: %w", err)
	}
	table, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		return Health{}, fmt.Errorf("health script returned %s, want a table", l.Get(-1).Type())
	}
	status, _ := table.RawGetString("status").(lua.LString)
	message, _ := table.RawGetString("message").(lua.LString)
	if status == "" {
		return Health{}, errors.New("health script returned no status")
	}
	return Health{Status: string(status), Message: string(message)}, nil
}

// toLua converts a JSON-like value as Argo CD's decodeValue does: maps to tables keyed by
// string, slices to arrays, every number to a Lua number, json.Number to a string.
func toLua(l *lua.LState, value any) lua.LValue {
	switch v := value.(type) {
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case int:
		return lua.LNumber(v)
	case int32:
		return lua.LNumber(v)
	case int64:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case json.Number:
		return lua.LString(v)
	case []any:
		array := l.CreateTable(len(v), 0)
		for _, item := range v {
			array.Append(toLua(l, item))
		}
		return array
	case map[string]any:
		table := l.CreateTable(0, len(v))
		for key, item := range v {
			table.RawSetH(lua.LString(key), toLua(l, item))
		}
		return table
	}
	return lua.LNil
}
