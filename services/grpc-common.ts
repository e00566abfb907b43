// What every dsmath gRPC service shares: errors that carry their status code, unary handlers from async
// functions, and optional bearer-token auth over a whole service implementation.
import * as grpc from '@grpc/grpc-js'

export class RpcError extends Error {
  constructor(readonly code: grpc.status, message: string) { super(message) }
}

type Handler = grpc.handleUnaryCall<unknown, unknown> | grpc.handleServerStreamingCall<unknown, unknown>

/** The status a handler's error goes back with: its own (RpcError), a downstream call's (the worker refused the
 * request: INVALID_ARGUMENT, NOT_FOUND, ...), else INTERNAL. */
function statusOf(err: Error): grpc.status {
  if (err instanceof RpcError) return err.code
  const code = (err as Partial<grpc.ServiceError>).code
  return typeof code === 'number' && code > grpc.status.OK && code <= grpc.status.UNAUTHENTICATED ? code : grpc.status.INTERNAL
}

export function unary<Req, Res>(fn: (req: Req) => Res | Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    Promise.resolve().then(() => fn(call.request)).then((res) => callback(null, res))
      .catch((err: Error) => callback({ code: statusOf(err), details: err.message } as grpc.ServiceError))
  }
}

/** With a token, every call must carry `authorization: Bearer <token>`; health and reflection stay open. */
export function withAuth<T extends grpc.UntypedServiceImplementation>(impl: T, token: string | undefined): T {
  if (!token) return impl
  const wrapped: Record<string, Handler> = {}
  for (const [name, handler] of Object.entries(impl)) {
    wrapped[name] = ((call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>, callback?: grpc.sendUnaryData<unknown>) => {
      if (call.metadata.get('authorization')[0] !== `Bearer ${token}`) {
        const err = { code: grpc.status.UNAUTHENTICATED, details: 'authorization: missing or wrong bearer token' } as grpc.ServiceError
        if (callback) callback(err)
        else (call as grpc.ServerWritableStream<unknown, unknown>).emit('error', err)
        return
      }
      ;(handler as (c: unknown, cb?: unknown) => void)(call, callback)
    }) as Handler
  }
  return wrapped as unknown as T
}
