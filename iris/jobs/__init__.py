"""The background worker: procrastinate jobs that tell watchers and call webhooks after a change commits.

`tasks` names the jobs and defers them on a unit of work's connection (the outbox); `worker` runs them.
"""
