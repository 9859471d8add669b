package state_test

import (
	"testing"

	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/statetest"
)

func TestMemoryConformance(t *testing.T) {
	statetest.Run(t, func(t *testing.T) state.Store { return state.NewMemory() })
}

func TestMemoryResources(t *testing.T) {
	statetest.RunResources(t, func(t *testing.T) statetest.ResourceStore { return state.NewMemory() })
}

func TestMemoryCommunities(t *testing.T) {
	statetest.RunCommunities(t, func(t *testing.T) state.Store { return state.NewMemory() })
}
