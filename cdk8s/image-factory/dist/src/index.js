export const CHART = "image-factory";
//# sourceMappingURL=index.js.map