// Runs one actions/github-script step of examples/github-actions/modelarts.yml against a fake GitHub API.
// stdin: {"script": "...", "env": {...}, "context": {...}, "api": {...}, "files": {...}}.
// stdout: {"outputs", "failed", "infos", "sleeps", "calls"} once the script has finished.
'use strict';
const fs = require('fs');

const input = JSON.parse(fs.readFileSync(0, 'utf8'));
const api = input.api;
const calls = [];
const result = { outputs: {}, failed: null, infos: [], sleeps: 0, calls };
let tick = 0; // advanced by every sleep: a run's status may change with it

const statusAt = (run) => (Array.isArray(run.status) ? run.status[Math.min(tick, run.status.length - 1)] : run.status);
const runsNow = () => api.runs.map((run) => ({ ...run, status: statusAt(run) }));
const record = (name, params, data) => { calls.push({ name, params }); return { data }; };

const github = {
  rest: {
    actions: {
      getWorkflowRun: async (p) => record('getWorkflowRun', p, runsNow().find((r) => r.id === p.run_id)),
      listWorkflowRuns: async (p) => record('listWorkflowRuns', p, runsNow().filter((r) =>
        r.workflow_id === p.workflow_id && (!p.event || r.event === p.event) &&
        (!p.head_sha || r.head_sha === p.head_sha) && (!p.status || r.status === p.status) &&
        (!p.branch || r.head_branch === p.branch))),
      listWorkflowRunArtifacts: async (p) => record('listWorkflowRunArtifacts', p,
        { artifacts: (api.artifacts[String(p.run_id)] || []).filter((a) => !p.name || a.name === p.name) }),
    },
    repos: {
      listPullRequestsAssociatedWithCommit: async (p) =>
        record('listPullRequestsAssociatedWithCommit', p, api.pulls[p.commit_sha] || []),
    },
    issues: {
      listComments: async (p) => record('listComments', p, api.comments || []),
      updateComment: async (p) => record('updateComment', p, {}),
      createComment: async (p) => record('createComment', p, {}),
    },
  },
  paginate: async (method, params) => (await method(params)).data,
};
const core = {
  setOutput: (name, value) => { result.outputs[name] = String(value); },
  setFailed: (message) => { result.failed = String(message); },
  info: (message) => result.infos.push(String(message)),
};
const sleep = (callback) => { result.sleeps += 1; tick += 1; if (result.sleeps > 50) throw new Error('waits forever'); callback(); };

process.chdir(fs.mkdtempSync(require('os').tmpdir() + '/workflow-'));
for (const [name, text] of Object.entries(input.files || {})) fs.writeFileSync(name, text);
Object.assign(process.env, input.env || {});
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
new AsyncFunction('require', 'github', 'context', 'core', 'setTimeout', input.script)(
  require, github, input.context, core, sleep,
).then(() => process.stdout.write(JSON.stringify(result)), (error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error));
  process.exit(1);
});
