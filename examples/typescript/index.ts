// Pin a dataset version that meets the requirements, and export it to a new dataset named after it.
import * as pulumi from "@pulumi/pulumi";
import * as modelarts from "@pulumi-modelarts/modelarts";

const config = new pulumi.Config();
const datasetName = config.require("datasetName");

const candidate = new modelarts.DatasetVersionRef("candidate", {
    datasetName,
    versionName: config.require("versionName"),
    requirements: { status: "ready", minAnnotatedSamples: 20, minAnnotatedRatio: 0.2 },
});

const promote = new modelarts.ExportTask(
    "promote",
    {
        datasetId: candidate.datasetId,
        versionId: candidate.versionId,
        path: `/demo-bucket/${datasetName}/output/`,
        exportType: 0,
        exportParams: {
            exportDest: "NEW_DATASET",
            exportNewDatasetName: pulumi.interpolate`${datasetName}-release-${candidate.versionName}`,
            exportNewDatasetWorkPath: `/demo-bucket/${datasetName}-release/`,
        },
    },
    { customTimeouts: { create: "30m" } },
);

export const promotedVersion = candidate.versionName;
export const promotedVersionId = candidate.versionId;
export const exportTaskId = promote.taskId;
export const newDatasetId = promote.newDatasetId;
