export declare const CHART = "image-factory";
