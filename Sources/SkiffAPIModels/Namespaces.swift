// The caseless enums that give generated models their API paths: `core.v1.Pod`, `apps.v1.Deployment`.
// Populated by Tools/modelgen.
