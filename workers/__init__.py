"""RQ entry points: functions that take ids and call one core service."""
