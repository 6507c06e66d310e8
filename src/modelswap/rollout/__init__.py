"""rollout: assignment, state in the store, controller, sequential statistics, audit, alerts."""
