// ModelArts dataset operations (Huawei Cloud, Open Telekom Cloud): intelligent tasks, exports and pinned dataset versions.
package modelarts
