"""Planning: combining models with the catalogue's economics into costs, fleets and schedules."""
