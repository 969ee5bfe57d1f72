"""What proves it: traffic profiles, the surge runner, reports."""
