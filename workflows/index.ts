// Every workflow the dsmath worker runs (the bundle's entry point).
export { corpusBatchWorkflow, corpusWorkflow } from './corpus.ts'
export { recallWorkflow } from './recall.ts'
