import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, readAll } from '../../rollout/support/lambda-invoke-server';

export interface PutEventsEntry {
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: string;
  readonly EventBusName?: string;
}

export interface EventBridgeServer {
  readonly endpoint: string;
  /** Every entry put, in order. */
  readonly entries: PutEventsEntry[];
  /** Makes the next PutEvents fail its entries, as EventBridge reports a throttled or refused entry. */
  failNext(): void;
  close(): Promise<void>;
}

const TARGET = 'AWSEvents.PutEvents';

/**
 * EventBridge's PutEvents on loopback (JSON 1.1 protocol: `POST /` with `X-Amz-Target: AWSEvents.PutEvents`),
 * recording each entry; any other operation is refused, as the real service would refuse an unknown one.
 */
export async function startEventBridgeServer(): Promise<EventBridgeServer> {
  const entries: PutEventsEntry[] = [];
  let failing = false;
  const server: Server = createServer((request, response) => {
    void (async () => {
      const body = JSON.parse((await readAll(request)).toString('utf8')) as { Entries: PutEventsEntry[] };
      const reply = (status: number, json: unknown) =>
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(json));
      if (request.headers['x-amz-target'] !== TARGET) {
        reply(400, { __type: 'UnknownOperationException', message: String(request.headers['x-amz-target']) });
        return;
      }
      if (failing) {
        failing = false;
        reply(200, {
          FailedEntryCount: body.Entries.length,
          Entries: body.Entries.map(() => ({ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' })),
        });
        return;
      }
      entries.push(...body.Entries);
      reply(200, {
        FailedEntryCount: 0,
        Entries: body.Entries.map((_, index) => ({ EventId: `event-${entries.length + index}` })),
      });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    entries,
    failNext: () => {
      failing = true;
    },
    close: () => closeServer(server),
  };
}
