"""
Alerts: what goes wrong with an enterprise's provisioning, told to its admins by email (and on the Enterprise
page) before anyone has to look. The kinds are a registry (kinds.py); the worker checks them periodically
(tasks.py) and services.py opens, emails and resolves each episode.
"""
