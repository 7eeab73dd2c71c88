/* The filrouge program: everything is in libfilrouge. */
int fr_main(int argc, char **argv);

int main(int argc, char **argv)
{
    return fr_main(argc, argv);
}
