/* empty.so: a preloaded object that does nothing. The reference for what preloading any shared
 * object costs (one more object to map and relocate in every exec, more mappings to copy in every
 * fork), so that the benchmark can tell that cost apart from reap.so's own code. */
int reap_bench_empty(void);

int reap_bench_empty(void)
{
	return 0;
}
