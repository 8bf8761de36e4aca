import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, readAll } from './lambda-invoke-server';

export interface ReportedStatus {
  readonly deploymentId: string;
  readonly lifecycleEventHookExecutionId: string;
  readonly status: string;
}

export interface CodeDeployServer {
  readonly endpoint: string;
  readonly reported: ReportedStatus[];
  close(): Promise<void>;
}

const TARGET = 'CodeDeploy_20141006.PutLifecycleEventHookExecutionStatus';

/**
 * CodeDeploy's PutLifecycleEventHookExecutionStatus on loopback (JSON 1.1 protocol: `POST /` with
 * `X-Amz-Target`), recording each status the hook reports.
 */
export async function startCodeDeployServer(): Promise<CodeDeployServer> {
  const reported: ReportedStatus[] = [];
  const server: Server = createServer((request, response) => {
    void (async () => {
      const body = JSON.parse((await readAll(request)).toString('utf8')) as ReportedStatus;
      if (request.headers['x-amz-target'] !== TARGET) {
        response
          .writeHead(400, { 'content-type': 'application/x-amz-json-1.1' })
          .end(
            JSON.stringify({ __type: 'UnknownOperationException', message: String(request.headers['x-amz-target']) }),
          );
        return;
      }
      reported.push(body);
      response
        .writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
        .end(JSON.stringify({ lifecycleEventHookExecutionId: body.lifecycleEventHookExecutionId }));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    reported,
    close: () => closeServer(server),
  };
}
