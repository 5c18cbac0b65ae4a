"""A local emulator of the ModelArts dataset API (v2) and the IAM calls a client needs.

Run it with ``python -m pulumi_modelarts.emulator --help`` (or ``pulumi-modelarts emulator``). The
package never imports the client (``pulumi_modelarts.api``); it shares only
``pulumi_modelarts.signing`` with it.

Modules: ``cli`` (flags, ready line, signals), ``config`` (the settings dataclass), ``readings``
(the open points and their flags), ``server`` (HTTP/1.1 plumbing), ``app`` (one request: routing,
faults, authentication, transactions), ``routes`` (the routing table), ``api`` / ``iam`` / ``admin``
(handlers), ``auth`` (tokens, AK/SK), ``datasets`` / ``tasks`` / ``exports`` / ``imports`` /
``versions`` / ``samples`` (the domain), ``obs`` (the OBS contents imports read), ``state`` (state
machines derived from the clock), ``settle`` (side effects applied exactly once), ``store``
(SQLite), ``clock``, ``ids``, ``faults``, ``stats``, ``seed``, ``validate``, ``errors``.

Where the documents are silent or ambiguous, ``readings`` lists the points the emulator plays both
ways, one flag each, and ``--reading cloud-strict`` takes the answer hardest for a client for all of
them (docs/api.md §10). The lenient defaults are described below with the other choices made
(the ones with a flag first):

- ``X-Sdk-Date`` may differ from the wall clock by ``--clock-skew-seconds`` (900).
- Auto-grouping tasks have ``type`` ``--auto-grouping-type`` (2) in task answers.
- A missing task or export task answers ``--missing-task-status`` (400 with ModelArts.4612 / 4359).
- Unmet auto-label preconditions answer 400 at POST, or with ``--preconditions fail-task`` give a
  task that fails (status 2, ``error_code`` 4405/4406/4407) half-way through initialisation.
- A project id in the path that differs from the credentials' project (or an ``X-Project-Id``
  other than the emulator's project) answers 403 ModelArts.0210 (not 404 ModelArts.2786).
- 204 answers have an empty body and no Content-Length (``--empty-answer 200``: 200 with ``{}``);
  every other answer has Content-Length.
  Every answer carries ``X-Request-Id``; gateway (APIG) error bodies carry the same ``request_id``,
  ModelArts error bodies do not (``--error-request-id yes``: they do).
- Token expiry and the AK lockout follow the virtual clock (advancing it expires tokens); the
  ``X-Sdk-Date`` window is checked against the wall clock.
- Task ``create_time`` is rendered in UTC (``--task-time-zone``); ``elapsed_time`` is in seconds
  (``--elapsed-time-unit``).
- ``task_type`` defaults to ``auto-label``; ``export_type`` defaults to 0 (labelled samples).
- Stopping a task that is stopping or stopped answers 204 again; stopping a succeeded or failed
  task answers 400 ModelArts.4393.
- Versions are auto-named V001, V002... from ``next_version_num``, skipping names already taken;
  ``next_version_num`` grows by one per release. A release becomes the dataset's current version
  when it finishes (status 1), not when it is requested.
- Dataset lists include ``labels`` only with ``with_labels=true`` (the documented default is false).
- ``PUT .../data-annotations/samples``: an unknown sample id answers 400 ModelArts.4200 and nothing
  is changed (``--label-update-errors partial``: 200 with per-sample results); a label name the
  dataset does not have is added to the dataset's labels. The auto-label start and the label update
  are refused during a release only with ``--release-locks on``.
- ``GET .../auto-annotations/samples``: ``limit`` 1..100 (default 10) as documented, newest first;
  ``sample_count`` is the total of the filtered list (``--sample-count page``: the page's length).
- A token request scoped to an unknown project answers 401 in IAM's error shape.
- Paths may end with one ``/``; ``sample_state`` is accepted as ``__ALL__`` or ``ALL``.
- Import tasks (``imports``): ids are ``<dataset id>_<19 characters>`` as in the doc examples; the list is
  newest first; ``import_path`` may be ``/bucket/...``, ``s3://bucket/...`` or ``obs://bucket/...``; only
  OBS sources are emulated; a running import is listed as ``running_task_type`` 5 and, with ``--lifecycle
  async``, shows the dataset as importing (8). The lenient readings: ``import_type`` answered as the
  request's string, every request field echoed as sent, label names accepted in label filters, a missing
  import task answers 400 ModelArts.4612, a path with nothing to import answers 400 ModelArts.4374 at the
  POST, a manifest path without ``import_type`` is a manifest import, and files already in the dataset
  are not imported again.
"""
