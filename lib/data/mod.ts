/** The data layer: the dataset type and every loader. */
export * from "./dataset.ts";
export * from "./idx.ts";
export * from "./download.ts";
export * from "./mnist.ts";
export * from "./cifar10.ts";
export * from "./people.ts";
