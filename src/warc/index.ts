export * from './record.ts'
export * from './reader.ts'
export * from './http.ts'
