/**
 * vim25 over SOAP against the vim25 JSON binding, on the same call (AcquireTicket webmks on acme/vm-101) with
 * the same session: the DynamoDB round trips of each (they must be equal: one core), their in-process
 * throughput (handler, real API Gateway event, local dynalite) in interleaved rounds, and the cost of the
 * wire format alone (SOAP: parse the envelope with the safe XML parser and render the answer; JSON: parse
 * and stringify), as ratios. Part of `npm run bench`; `npx tsx bench/soap.ts` runs it alone on a dynalite
 * of its own.
 */
import { pathToFileURL } from 'node:url';

const CONCURRENCY = 16;
const ROUNDS = 5;
const PER_ROUND = 300;
const PARSES = 20_000;

const ENVELOPE =
  '<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" ' +
  'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" ' +
  'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><AcquireTicket xmlns="urn:vim25">' +
  '<_this type="VirtualMachine">vm-101</_this><ticketType>webmks</ticketType></AcquireTicket></soapenv:Body></soapenv:Envelope>';

type Api = typeof import('../test/support/api.js');

const round = (value: number, digits = 2) => Number(value.toFixed(digits));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Operations per second of `operation`, CONCURRENCY in flight, `count` in all. */
async function perSecond(count: number, operation: () => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next++ < count) await operation();
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return count / ((performance.now() - started) / 1000);
}

/** Calls of `work` per second, synchronously, after a warm-up. */
function callsPerSecond(work: () => unknown, count = PARSES): number {
  for (let i = 0; i < count / 10; i += 1) work();
  const started = performance.now();
  for (let i = 0; i < count; i += 1) work();
  return count / ((performance.now() - started) / 1000);
}

export async function measureSoap({ buildEvent, invoke, loginVcenter, session }: Api) {
  const { countRoundTrips } = await import('../test/support/store-instrumentation.js');
  const { parseSoapRequest, soapResponse } = await import('../lib/dialects/vim25-soap/envelope.js');
  const sessionId = await loginVcenter();
  const soapEvent = () =>
    buildEvent('POST', '/sdk', {
      headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: 'urn:vim25/8.0.3.0', cookie: `vmware_soap_session="${sessionId}"` },
      body: ENVELOPE,
    })!.event;
  const jsonEvent = () =>
    buildEvent('POST', '/sdk/vim25/8.0.3.0/VirtualMachine/vm-101/AcquireTicket', { headers: session(sessionId), body: { ticketType: 'webmks' } })!.event;
  const call = (event: () => ReturnType<typeof soapEvent>) => async () => {
    const answer = await invoke(event());
    if (answer.status !== 200) throw new Error(`AcquireTicket: ${answer.status} ${answer.text.slice(0, 300)}`);
  };
  const soapCall = call(soapEvent);
  const jsonCall = call(jsonEvent);

  const roundTrips = {
    soap: (await countRoundTrips(soapCall)).roundTrips,
    json: (await countRoundTrips(jsonCall)).roundTrips,
  };
  if (roundTrips.soap !== roundTrips.json) throw new Error(`SOAP AcquireTicket makes ${roundTrips.soap} round trips, JSON ${roundTrips.json}`);

  // Interleaved rounds: a noisy spell on a shared machine hits both alike; each ratio is a per-round ratio.
  const rounds: { soap: number; json: number }[] = [];
  for (let pass = 0; pass < ROUNDS; pass += 1) {
    rounds.push({ soap: await perSecond(PER_ROUND, soapCall), json: await perSecond(PER_ROUND, jsonCall) });
  }

  // The wire format alone: what a request and its answer cost to read and write in each binding.
  const { answer: ticket } = { answer: JSON.parse((await invoke(jsonEvent())).text) };
  const jsonBody = JSON.stringify({ ticketType: 'webmks' });
  const soapParse = callsPerSecond(() => parseSoapRequest(ENVELOPE));
  const soapRender = callsPerSecond(() => soapResponse('AcquireTicket', { type: 'VirtualMachineTicket', value: ticket }, '8.0.3.0'));
  const jsonParse = callsPerSecond(() => JSON.parse(jsonBody));
  const jsonRender = callsPerSecond(() => JSON.stringify(ticket));
  const microseconds = (rate: number) => round(1e6 / rate, 2);

  return {
    call: 'AcquireTicket webmks, acme/vm-101, one session',
    roundTrips,
    inProcess: {
      concurrency: CONCURRENCY,
      rounds: ROUNDS,
      soapOpsPerSecond: round(median(rounds.map((r) => r.soap)), 0),
      jsonOpsPerSecond: round(median(rounds.map((r) => r.json)), 0),
      soapVsJson: round(median(rounds.map((r) => r.soap / r.json))),
    },
    wireFormat: {
      soapParseMicros: microseconds(soapParse),
      soapRenderMicros: microseconds(soapRender),
      jsonParseMicros: microseconds(jsonParse),
      jsonRenderMicros: microseconds(jsonRender),
      soapVsJson: round((1 / soapParse + 1 / soapRender) / (1 / jsonParse + 1 / jsonRender), 1),
    },
  };
}

export type SoapFigures = Awaited<ReturnType<typeof measureSoap>>;

export const soapMarkdown = (figures: SoapFigures): string =>
  [
    `**vim25 SOAP vs JSON** (${figures.call}): ${figures.roundTrips.soap} DynamoDB round trips each; in process ` +
      `${figures.inProcess.soapOpsPerSecond} vs ${figures.inProcess.jsonOpsPerSecond} calls/s (**${figures.inProcess.soapVsJson}×**, median of ` +
      `${figures.inProcess.rounds} interleaved rounds, ${figures.inProcess.concurrency} in flight). The wire format alone: SOAP parse ` +
      `${figures.wireFormat.soapParseMicros} µs + render ${figures.wireFormat.soapRenderMicros} µs against JSON ${figures.wireFormat.jsonParseMicros} µs + ` +
      `${figures.wireFormat.jsonRenderMicros} µs (**${figures.wireFormat.soapVsJson}×**).`,
  ].join('\n');

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { startLocalDynamo, ensureTable } = await import('../scripts/local-dynamodb.js');
  const { testEnvironment } = await import('../test/support/environment.js');
  const dynamo = await startLocalDynamo({ separateProcess: true });
  Object.assign(process.env, testEnvironment(dynamo.endpoint), { TABLE_NAME: 'console-broker-bench-soap', LOG_LEVEL: 'SILENT' });
  await ensureTable(dynamo.endpoint, 'console-broker-bench-soap');
  await (await import('../scripts/demo-data.js')).seedDemoData();
  const figures = await measureSoap(await import('../test/support/api.js'));
  console.log(JSON.stringify(figures, null, 2));
  console.log(`\n${soapMarkdown(figures)}`);
  await dynamo.close();
  process.exit(0);
}
