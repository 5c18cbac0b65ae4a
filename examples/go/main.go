// Pin a dataset version that meets the requirements, and export it to a new dataset named after it.
package main

import (
	"fmt"

	"github.com/pulumi-modelarts/pulumi-modelarts/sdk/go/modelarts"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		datasetName := cfg.Require("datasetName")

		candidate, err := modelarts.NewDatasetVersionRef(ctx, "candidate", &modelarts.DatasetVersionRefArgs{
			DatasetName: pulumi.String(datasetName),
			VersionName: pulumi.String(cfg.Require("versionName")),
			Requirements: &modelarts.RequirementsArgs{
				Status:              pulumi.String("ready"),
				MinAnnotatedSamples: pulumi.Int(20),
				MinAnnotatedRatio:   pulumi.Float64(0.2),
			},
		})
		if err != nil {
			return err
		}

		promote, err := modelarts.NewExportTask(ctx, "promote", &modelarts.ExportTaskArgs{
			DatasetId:  candidate.DatasetId,
			VersionId:  candidate.VersionId,
			Path:       pulumi.String(fmt.Sprintf("/demo-bucket/%s/output/", datasetName)),
			ExportType: pulumi.Int(0),
			ExportParams: &modelarts.ExportParamsArgs{
				ExportDest:               pulumi.String("NEW_DATASET"),
				ExportNewDatasetName:     pulumi.Sprintf("%s-release-%s", datasetName, candidate.VersionName.Elem()),
				ExportNewDatasetWorkPath: pulumi.String(fmt.Sprintf("/demo-bucket/%s-release/", datasetName)),
			},
		}, pulumi.Timeouts(&pulumi.CustomTimeouts{Create: "30m"}))
		if err != nil {
			return err
		}

		ctx.Export("promotedVersion", candidate.VersionName)
		ctx.Export("promotedVersionId", candidate.VersionId)
		ctx.Export("exportTaskId", promote.TaskId)
		ctx.Export("newDatasetId", promote.NewDatasetId)
		return nil
	})
}
