// Sizes of the corpus workflows' batches. Plain constants: the workflow sandbox imports this module.

/** WARCs per child workflow unless --batch-size says otherwise: about 15 history events each, so a batch's
 * history stays near 4,000 events, well under Temporal's 51,200 limit. */
export const DEFAULT_BATCH_SIZE = 256
/** Child workflows a corpus run starts before it continues as new (keeps the parent's history short). */
export const BATCHES_PER_RUN = 200
