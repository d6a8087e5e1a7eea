/** The training history `fit` returns and a checkpoint stores: one record per epoch. */

/** One epoch's results. Accuracies are fractions in [0, 1]. */
export interface EpochRecord {
  epoch: number;
  /** Mean over batches of the weighted total loss. */
  loss: number;
  /** Mean over batches of each term's unweighted loss, by term name. */
  parts: Record<string, number>;
  /** Running accuracy of the training batches (dropout and batch statistics on). */
  trainAccuracy: number;
  /** Test accuracy in inference mode, when a test set was given and evaluated this epoch. */
  testAccuracy?: number;
  /** Training time of the epoch, evaluation excluded. */
  seconds: number;
  imagesPerSecond: number;
}
