/* fuzz-subject: subject lines and the ticket tag (subject.h).  Input:
   the subject.  A tag added is found again, with its number. */

#include "fuzz.h"
#include "subject.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *subject = fuzz_string(data, size);
	uint32_t id = size > 0 ? 1 + data[0] * 4099u : 7;
	uint32_t found;
	char *out;

	out = subject_normalize(subject, "Ticket");
	g_free(out);
	out = subject_strip(subject, "Ticket");
	g_free(out);
	(void)subject_find_tag(subject, "Ticket", &found);
	out = subject_add_tag(subject, "Ticket", id);
	fuzz_assert(subject_find_tag(out, "Ticket", &found) == 1);
	g_free(out);
	g_free(subject);
	return 0;
}
