package policy

import (
	_ "github.com/google/cel-go/cel"
	_ "gopkg.in/yaml.v3"
)
