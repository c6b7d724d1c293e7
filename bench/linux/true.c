/* true.c - the program exec.c runs: glibc's static start-up and nothing else. */
int main(void)
{
	return 0;
}
