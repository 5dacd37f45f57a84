/*
 * fuzz_jvx: kind-checked access on arbitrary JSON with arbitrary paths.
 * Input: a path, a newline, then JSON text.  No access may assert (libjq
 * kills the process on a wrong-kind accessor) or leak.  Also checks
 * bytes_utf8_valid against libjq's own decoder: bytes are valid exactly
 * when jv_string_sized keeps them unchanged.
 */
#include <string.h>

#include "bytes.h"
#include "jvx.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

static void
probe(const jv *root, const char *path)
{
	char buf[64];
	double d;
	jv v;

	v = jvx_at(root, path);
	jv_free(v);
	v = jvx_get(root, path);
	jv_free(v);
	(void)jvx_str(root, path);
	(void)jvx_num(root, path, 0, &d);
	(void)jvx_num(root, path, 1, &d);
	(void)jvx_bool(root, path);
	const char *t = jvx_text(root, path, buf, sizeof buf);
	if (t != NULL && t == buf)
		fuzz_assert(strlen(buf) < sizeof buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	char path[512];
	size_t plen;
	jv root, s;
	int valid;

	/* The UTF-8 validator against libjq's decoder, on the whole input. */
	valid = bytes_utf8_valid(data, size);
	s = jv_string_sized((const char *)data, (int)size);
	fuzz_assert(valid == ((size_t)jv_string_length_bytes(jv_copy(s)) ==
	    size && memcmp(jv_string_value(s), data, size) == 0));
	jv_free(s);

	if (nl == NULL || (plen = (size_t)(nl - data)) >= sizeof path)
		return 0;
	memcpy(path, data, plen);
	path[plen] = '\0';
	if (strlen(path) != plen)
		return 0;
	data += plen + 1, size -= plen + 1;
	root = jvx_parse((const char *)data, size);
	if (!jv_is_valid(root)) {
		jv_free(root);
		return 0;
	}
	probe(&root, path);
	/* Every prefix of the path too: each step's kind changes. */
	for (size_t i = 0; i < plen; i++) {
		if (path[i] == '.') {
			path[i] = '\0';
			probe(&root, path);
			path[i] = '.';
		}
	}
	root = jvx_set_str(jvx_is(&root, JV_KIND_OBJECT) ? root :
	    (jv_free(root), jv_object()), path, path);
	if (plen > 0 && plen < 256 && memchr(path, '.', plen) == NULL &&
	    bytes_utf8_valid(path, plen)) {
		const char *back = jvx_str(&root, path);

		fuzz_assert(back != NULL && strcmp(back, path) == 0);
	}
	jv_free(root);
	return 0;
}
