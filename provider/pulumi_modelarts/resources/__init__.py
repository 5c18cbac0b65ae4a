"""The Pulumi dynamic resources. Provider classes live at stable import paths (public interface)."""

from pulumi_modelarts.resources.dataset_version_ref import DatasetVersionRef, DatasetVersionRefProvider
from pulumi_modelarts.resources.export_task import ExportTask, ExportTaskProvider
from pulumi_modelarts.resources.import_task import ImportTask, ImportTaskProvider
from pulumi_modelarts.resources.intelligent_task import IntelligentTask, IntelligentTaskProvider

__all__ = [
    "DatasetVersionRef",
    "DatasetVersionRefProvider",
    "ExportTask",
    "ExportTaskProvider",
    "ImportTask",
    "ImportTaskProvider",
    "IntelligentTask",
    "IntelligentTaskProvider",
]
