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

type AnyCall = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>

/** A handler that first asks `refusal` about the call: an error refuses it (unary or streaming), null lets it run. */
function guard(handler: Handler, refusal: (call: AnyCall) => { code: grpc.status; details: string } | null): Handler {
  return ((call: AnyCall, callback?: grpc.sendUnaryData<unknown>) => {
    const err = refusal(call) as grpc.ServiceError | null
    if (!err) return (handler as (c: unknown, cb?: unknown) => void)(call, callback)
    if (callback) callback(err)
    else (call as grpc.ServerWritableStream<unknown, unknown>).emit('error', err)
  }) as Handler
}

/** With a token, every call must carry `authorization: Bearer <token>`; health and reflection stay open. */
export function withAuth<T extends grpc.UntypedServiceImplementation>(impl: T, token: string | undefined): T {
  if (!token) return impl
  const wrapped: Record<string, Handler> = {}
  for (const [name, handler] of Object.entries(impl)) {
    wrapped[name] = guard(handler as Handler, (call) => call.metadata.get('authorization')[0] !== `Bearer ${token}`
      ? { code: grpc.status.UNAUTHENTICATED, details: 'authorization: missing or wrong bearer token' } : null)
  }
  return wrapped as unknown as T
}

/** A request the generated decoder refused (an int64 past 2^53, say): answered INVALID_ARGUMENT by the handler
 * wrapper below instead of grpc-js's bare INTERNAL "Error deserializing request". */
class UndecodableRequest { constructor(readonly message: string) {} }

/**
 * A service definition and its implementation, ready for addService: requests that cannot be decoded get
 * INVALID_ARGUMENT naming why, then auth (withAuth) applies.
 */
export function safeService<D extends grpc.ServiceDefinition, T extends grpc.UntypedServiceImplementation>(
  def: D, impl: T, token: string | undefined,
): [D, T] {
  const safeDef: Record<string, grpc.MethodDefinition<unknown, unknown>> = {}
  for (const [name, m] of Object.entries(def) as [string, grpc.MethodDefinition<unknown, unknown>][]) {
    safeDef[name] = {
      ...m,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return m.requestDeserialize(bytes)
        } catch (err) {
          return new UndecodableRequest((err as Error).message)
        }
      },
    }
  }
  const authed = withAuth(impl, token)
  const wrapped: Record<string, Handler> = {}
  for (const [name, handler] of Object.entries(authed)) {
    wrapped[name] = guard(handler as Handler, (call) => call.request instanceof UndecodableRequest
      ? { code: grpc.status.INVALID_ARGUMENT, details: `request: cannot be decoded (${call.request.message})` } : null)
  }
  return [safeDef as unknown as D, wrapped as unknown as T]
}
